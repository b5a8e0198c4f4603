/* glvf-audio.h compiles on its own (no other include first), as C, and
 * links against libglvf-gtk4. */
#include <glvf/glvf-audio.h>

int main(void)
{
    glvf_audio_out_stats s;
    glvf_audio_out_get_stats(NULL, &s); /* no output: zeroed */
    glvf_audio_out *a = NULL;
    glvf_audio_out_free(&a);
    return s.frames_written == 0 && s.reserved[0] == 0 ? 0 : 1;
}
