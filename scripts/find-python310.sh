#!/usr/bin/env bash
# Print the path of a working Python 3.10 interpreter (Rasa 3.6 needs 3.10).
# A pyenv shim can exist without the version being active, so every candidate
# is actually run before it is accepted.
set -u
candidates=(python3.10)
if command -v pyenv >/dev/null 2>&1; then
  candidates+=("$(pyenv root)"/versions/3.10*/bin/python3.10)
fi
candidates+=("$HOME"/.pyenv/versions/3.10*/bin/python3.10 /usr/local/bin/python3.10 /usr/bin/python3.10)
for c in "${candidates[@]}"; do
  if "$c" -c 'import sys; assert sys.version_info[:2] == (3, 10)' >/dev/null 2>&1; then
    command -v "$c" 2>/dev/null || echo "$c"
    exit 0
  fi
done
echo "python3.10 not found: install Python 3.10 (for example 'pyenv install 3.10')" >&2
exit 1
