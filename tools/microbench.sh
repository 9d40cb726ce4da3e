#!/usr/bin/env bash
# The racksim HIP microbenchmark runner (validation/hip/README.md): builds the suite for the local
# GPU, runs it and writes a measurements file (racksim-measurements JSON) that `racksim validate`
# and `racksim calibrate` read, then prints a short table.
#
# usage: tools/microbench.sh [--gpu-id ID] [--out FILE] [--quick] [--arch ARCH] [--build-only]
#                            [--build-dir DIR] [-- PROGRAM-ARGS...]
#   --gpu-id ID     racksim catalog id of the GPU (h100, mi300x, ...), recorded in the file
#   --out FILE      where to write; default validation/measurements/<device>-<UTC date>[-N].json.
#                   An existing file is never overwritten.
#   --quick         the reduced grid (a first check)
#   --arch ARCH     sm_XY (NVIDIA, nvcc) or gfxNNN (AMD, hipcc); default: the local GPU's, from
#                   nvidia-smi, else rocminfo / rocm_agent_enumerator
#   --build-only    build and print the binary's path; runs nothing (needs --arch without a GPU)
#   --build-dir DIR default build/hip/<arch>
#   -- ARGS         passed to racksim-hip (e.g. -- --only stream,gemm --repeats 50)
# Exit status: racksim-hip's (0 all checks passed, 1 a check failed, 2 error); 2 for a bad
# command line or a failed build.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
src="$root/validation/hip"

die() { echo "microbench.sh: $*" >&2; exit 2; }

gpu_id="" out="" quick=0 arch="" build_only=0 build_dir="" extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --gpu-id) [ $# -ge 2 ] || die "--gpu-id needs a value"; gpu_id=$2; shift 2 ;;
    --out) [ $# -ge 2 ] || die "--out needs a value"; out=$2; shift 2 ;;
    --quick) quick=1; shift ;;
    --arch) [ $# -ge 2 ] || die "--arch needs a value"; arch=$2; shift 2 ;;
    --build-only) build_only=1; shift ;;
    --build-dir) [ $# -ge 2 ] || die "--build-dir needs a value"; build_dir=$2; shift 2 ;;
    --) shift; extra=("$@"); break ;;
    -h|--help) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
done
if [ -n "$out" ] && [ -e "$out" ]; then die "$out exists; measurements are never overwritten"; fi

find_tool() {  # name, fallback folders...: prints the path or nothing
  local name=$1 d
  shift
  if command -v "$name" > /dev/null 2>&1; then command -v "$name"; return; fi
  for d in "$@"; do [ -x "$d/$name" ] && { echo "$d/$name"; return; }; done
  return 0
}
cuda_bins=("${CUDA_HOME:-/usr/local/cuda}/bin" /usr/local/cuda/bin)
rocm_bins=("${ROCM_PATH:-/opt/rocm}/bin" /opt/rocm/bin)

# ---- the platform and the architecture
if [ -z "$arch" ]; then
  smi=$(find_tool nvidia-smi)
  if [ -n "$smi" ] && cap=$("$smi" --query-gpu=compute_cap --format=csv,noheader 2> /dev/null | head -n 1) \
      && [ -n "$cap" ]; then
    arch="sm_${cap//./}"
    arch=${arch//[[:space:]]/}
  else
    enum=$(find_tool rocm_agent_enumerator "${rocm_bins[@]}")
    info=$(find_tool rocminfo "${rocm_bins[@]}")
    if [ -n "$enum" ]; then arch=$("$enum" 2> /dev/null | grep -v '^gfx000$' | head -n 1 || true); fi
    if [ -z "$arch" ] && [ -n "$info" ]; then
      arch=$("$info" 2> /dev/null | grep -o 'gfx[0-9a-f]\+' | grep -v '^gfx000$' | head -n 1 || true)
    fi
  fi
  [ -n "$arch" ] || die "no GPU found (nvidia-smi, rocm_agent_enumerator, rocminfo); pass --arch sm_XY or gfxNNN to build"
fi
case "$arch" in
  sm_[0-9]*) platform=nvidia ;;
  gfx[0-9]*) platform=amd ;;
  *) die "--arch must be sm_XY (NVIDIA) or gfxNNN (AMD), got '$arch'" ;;
esac

# ---- the compiler and its flags
sources=(main stream roofline gemm latency copies)
if [ "$platform" = nvidia ]; then
  cc=$(find_tool nvcc "${cuda_bins[@]}")
  [ -n "$cc" ] || die "nvcc not found (PATH, \$CUDA_HOME/bin, /usr/local/cuda/bin)"
  cuda_root=$(cd "$(dirname "$cc")/.." && pwd)
  cflags=(-std=c++17 -O3 -x cu "-arch=$arch" "-Xcompiler=-Wall,-Wextra")
  lflags=("-arch=$arch")
  if compgen -G "$cuda_root/lib64/libcublas.so*" > /dev/null \
      || compgen -G "$cuda_root/targets/*/lib/libcublas.so*" > /dev/null; then
    lflags+=(-lcublas)
  else
    cflags+=(-DRACKSIM_HIP_NO_VENDOR_BLAS)
  fi
else
  cc=$(find_tool hipcc "${rocm_bins[@]}")
  [ -n "$cc" ] || die "hipcc not found (PATH, \$ROCM_PATH/bin, /opt/rocm/bin)"
  hip_root=$(cd "$(dirname "$cc")/.." && pwd)
  cflags=(-std=c++17 -O3 "--offload-arch=$arch" -Wall -Wextra)
  lflags=("--offload-arch=$arch")
  if [ -f "$hip_root/include/rocblas/rocblas.h" ] || [ -f /usr/include/rocblas/rocblas.h ]; then
    if compgen -G "$hip_root/lib/librocblas.so*" > /dev/null; then
      lflags+=("-L$hip_root/lib" -lrocblas)
    elif compgen -G "/usr/lib/*/librocblas.so*" > /dev/null; then
      lflags+=(-lrocblas)
    else
      cflags+=(-DRACKSIM_HIP_NO_VENDOR_BLAS)
    fi
  fi
fi

# ---- the build (plain compiler invocations, one object per family; skipped when up to date)
[ -n "$build_dir" ] || build_dir="$root/build/hip/$arch"
mkdir -p "$build_dir"
bin="$build_dir/racksim-hip"
stamp="$build_dir/flags"
want_flags="$cc ${cflags[*]} | ${lflags[*]}"
fresh=1
if [ ! -x "$bin" ] || [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want_flags" ]; then fresh=0; fi
for f in "$src"/*.hip "$src"/*.hpp; do [ "$fresh" = 1 ] && [ "$f" -nt "$bin" ] && fresh=0; done
if [ "$fresh" = 0 ]; then
  rm -f "$bin" "$stamp"
  echo "building racksim-hip for $arch with $cc" >&2
  objs=()
  for s in "${sources[@]}"; do
    echo "  $s.hip" >&2
    "$cc" "${cflags[@]}" -I "$src" -c "$src/$s.hip" -o "$build_dir/$s.o"
    objs+=("$build_dir/$s.o")
  done
  "$cc" "${lflags[@]}" "${objs[@]}" -o "$bin"
  echo "$want_flags" > "$stamp"
fi
if [ "$build_only" = 1 ]; then echo "$bin"; exit 0; fi

# ---- the run
args=()
[ -n "$gpu_id" ] && args+=(--gpu-id "$gpu_id")
[ "$quick" = 1 ] && args+=(--quick)
if [ -n "$out" ]; then
  args+=(--out "$out")
else
  mkdir -p "$root/validation/measurements"
  args+=(--out-dir "$root/validation/measurements")
fi
set +e
"$bin" "${args[@]}" "${extra[@]}"
rc=$?
set -e
exit $rc
