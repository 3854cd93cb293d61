#!/usr/bin/env bash
# Install what podwire needs on a fresh Debian machine, then build the node image.
# Safe to run again: each step skips what is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian tools: dpkg-deb and apt for the image build, zstd to pack the initramfs,
# gcc for the node's small C tools (images/tools), clang and llvm (llvm-strip) for its eBPF programs (images/bpf), tshark to check exported captures in the tests,
# g++ and make for better-sqlite3 (the class server's database) when npm builds it from source.
need=()
for tool in zstd:zstd gcc:gcc clang:clang llvm-strip:llvm g++:g++ make:make tshark:tshark dpkg-deb:dpkg; do
  command -v "${tool%%:*}" >/dev/null || need+=("${tool#*:}")
done
if [ ${#need[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
fi

# kubectl 1.20 (Debian's kubernetes-client), the real client that the API server's tests
# (src/kube, test/unit/kube) drive. Unpacked into the cache rather than installed: another
# package (a cloud SDK's kubectl) may already own /usr/bin/kubectl on this kind of machine.
kubectl_dir="${PODWIRE_CACHE:-$HOME/.cache/podwire}/kubectl-1.20"
if [ ! -x "$kubectl_dir/usr/bin/kubectl" ]; then
  deb_dir=$(mktemp -d)
  if ! (cd "$deb_dir" && apt-get download -qq kubernetes-client 2>/dev/null); then
    sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    (cd "$deb_dir" && apt-get download -qq kubernetes-client)
  fi
  mkdir -p "$kubectl_dir" && dpkg-deb -x "$deb_dir"/kubernetes-client_*.deb "$kubectl_dir"
  rm -rf "$deb_dir"
fi

# npm packages, exactly as locked.
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi

# The node image: from Debian i386 packages into ~/.cache/podwire, keyed by the recipe's hash.
npm run --silent images
# The snapshot every node starts from: one cold boot, saved beside the image. A boot is one
# long run of the same code, which V8's optimising compiler speeds up (14 s instead of 23 s),
# so this one process keeps it (src/vm/host-node.ts says why the others do not).
PODWIRE_WASM_TIER_UP=1 npx tsx src/vm/assets-node.ts
