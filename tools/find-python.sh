#!/bin/sh
# Print the path of a Python >= 3.12 (Mesa 3.5 needs it), or fail with a clear message.
ok() { "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' >/dev/null 2>&1; }
for c in python3 python3.12 python3.13; do
    p=$(command -v "$c" 2>/dev/null) && ok "$p" && { echo "$p"; exit 0; }
done
if command -v pyenv >/dev/null 2>&1; then
    root=$(pyenv root)
    for d in "$root"/versions/3.12.* "$root"/versions/3.13.*; do
        [ -x "$d/bin/python3" ] && ok "$d/bin/python3" && { echo "$d/bin/python3"; exit 0; }
    done
fi
echo "error: Python >= 3.12 not found (tried python3, python3.12, python3.13 and pyenv versions); install one or set PYTHON=/path/to/python3.12" >&2
exit 1
