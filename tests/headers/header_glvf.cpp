/* glvf.h compiles on its own (no other include first), as C++. */
#include <glvf/glvf.h>

int main(void)
{
    glvf_stats s;
    glvf_context_get_stats(NULL, &s);
    return glvf_version_number() == GLVF_VERSION_NUMBER && s.frames_live == 0 ? 0 : 1;
}
