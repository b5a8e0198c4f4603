#!/usr/bin/env python3
"""Runs glad2 (multi-context, reproducible: its bundled Khronos XML, no
network) and writes the loader as three flat files for meson:
  glvf_glad.h glvf_glad.c glvf_khrplatform.h
Usage: gen_glad.py GLAD_EXE OUTDIR API EXTENSIONS
"""
import os
import shutil
import subprocess
import sys
import tempfile

glad, outdir, api, exts = sys.argv[1:5]
with tempfile.TemporaryDirectory() as tmp:
    subprocess.run([glad, '--quiet', '--reproducible', '--merge', '--api', api,
                    '--extensions', exts, '--out-path', tmp, 'c', '--mx'],
                   check=True)

    def fix(src, dst):
        with open(src) as f:
            text = f.read()
        text = text.replace('#include <KHR/khrplatform.h>', '#include "glvf_khrplatform.h"')
        text = text.replace('#include <glad/gl.h>', '#include "glvf_glad.h"')
        with open(os.path.join(outdir, dst), 'w') as f:
            f.write(text)

    fix(os.path.join(tmp, 'include', 'glad', 'gl.h'), 'glvf_glad.h')
    fix(os.path.join(tmp, 'src', 'gl.c'), 'glvf_glad.c')
    shutil.copy(os.path.join(tmp, 'include', 'KHR', 'khrplatform.h'),
                os.path.join(outdir, 'glvf_khrplatform.h'))
