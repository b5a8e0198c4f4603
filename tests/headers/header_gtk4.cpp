/* glvf-gtk4.h compiles on its own, as C++. */
#include <glvf/glvf-gtk4.h>

int main(void)
{
    return glvf_video_area_get_type() != 0 ? 0 : 1;
}
