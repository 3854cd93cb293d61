#!/usr/bin/env bash
# Install what podwire needs on a fresh Debian machine, then build the node image.
# Safe to run again: each step skips what is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian tools: dpkg-deb and apt for the image build, zstd to pack the snapshot and lz4 the initramfs,
# gcc for the node's small C tools (images/tools), clang and llvm (llvm-strip) for its eBPF programs (images/bpf), tshark to check exported captures in the tests,
# dpkg-dev, pkg-config, autoconf, automake and libtool to build jq, ip and iptables from source for the node (images/build/source.ts), and Go for its CNI plugins,
# g++ and make for better-sqlite3 (the class server's database) when npm builds it from source,
# bc, flex, bison, lz4 and the libelf and OpenSSL headers to build the node's kernel (images/build/kernel.ts).
need=()
for tool in zstd:zstd gcc:gcc clang:clang llvm-strip:llvm g++:g++ make:make tshark:tshark dpkg-deb:dpkg dpkg-source:dpkg-dev pkg-config:pkg-config autoreconf:autoconf automake:automake libtoolize:libtool bc:bc flex:flex bison:bison openssl:openssl lz4:lz4 go:golang-go; do
  command -v "${tool%%:*}" >/dev/null || need+=("${tool#*:}")
done
for header in libelf.h:libelf-dev openssl/opensslv.h:libssl-dev; do
  [ -f "/usr/include/${header%%:*}" ] || need+=("${header#*:}")
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

# kubectl 1.20 for the nodes (i386, the same Debian package): not in the node image (it is
# about 40 MB, the first visit's whole budget), but kept in the cache, named by its sha256, and
# served to a node on its first `kubectl` (src/harness/kube-endpoint.ts). apt runs with a private
# state folder and an i386-only view, as the image build does (images/build/apt.ts).
cache="${PODWIRE_CACHE:-$HOME/.cache/podwire}"
if ! ls "$cache"/kubectl-1.20-i386/kubectl-* >/dev/null 2>&1; then
  apt_dir=$(mktemp -d)
  mkdir -p "$apt_dir/lists/partial" "$apt_dir/archives/partial" "$apt_dir/sources"
  : >"$apt_dir/status"
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*; do
    case "$f" in *.list|*.sources) [ -f "$f" ] && cp "$f" "$apt_dir/sources/$(basename "$f")" ;; esac
  done
  apt_i386=(-o "Dir::State=$apt_dir" -o "Dir::State::Lists=$apt_dir/lists" -o "Dir::State::status=$apt_dir/status"
    -o "Dir::Cache=$apt_dir" -o "Dir::Etc::SourceList=/dev/null" -o "Dir::Etc::SourceParts=$apt_dir/sources"
    -o APT::Architecture=i386 -o APT::Architectures::=i386 -o Debug::NoLocking=1)
  apt-get "${apt_i386[@]}" update -qq
  (cd "$apt_dir" && apt-get "${apt_i386[@]}" download -qq kubernetes-client)
  dpkg-deb -x "$apt_dir"/kubernetes-client_*_i386.deb "$apt_dir/unpacked"
  sum=$(sha256sum "$apt_dir/unpacked/usr/bin/kubectl" | cut -c1-64)
  mkdir -p "$cache/kubectl-1.20-i386"
  install -m 0755 "$apt_dir/unpacked/usr/bin/kubectl" "$cache/kubectl-1.20-i386/kubectl-$sum"
  rm -rf "$apt_dir"
fi

# npm packages, exactly as locked. better-sqlite3 finds no prebuilt binary it can download from
# this kind of machine, so npm compiles it (SQLite itself: about a minute on two cores). The
# result is kept in the cache, named as prebuild-install names a release's binary (version, Node's
# ABI, platform, architecture), and its local-prebuilds option finds it on the next clean install.
# A kept binary that does not load is ignored: prebuild-install fails and npm compiles again,
# as it does if a later npm stops passing this setting on (npm warns that it is not its own).
prebuilds="${PODWIRE_CACHE:-$HOME/.cache/podwire}/prebuilds"
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm_config_better_sqlite3_local_prebuilds="$prebuilds" npm ci --no-audit --no-fund
fi
sqlite_addon=node_modules/better-sqlite3/build/Release/better_sqlite3.node
kept_addon="$prebuilds/better-sqlite3-v$(node -p 'require("./node_modules/better-sqlite3/package.json").version')-node-v$(node -p 'process.versions.modules + "-" + process.platform + "-" + process.arch').tar.gz"
if [ -f "$sqlite_addon" ] && [ ! -f "$kept_addon" ]; then
  mkdir -p "$prebuilds"
  tar -C node_modules/better-sqlite3 -czf "$kept_addon.tmp" build/Release/better_sqlite3.node && mv "$kept_addon.tmp" "$kept_addon"
fi

# The node image: from Debian i386 packages into ~/.cache/podwire, keyed by the recipe's hash.
npm run --silent images
# The snapshots every node starts from, one per guest memory size (src/topology): a cold boot each, saved beside the image. A boot is one
# long run of the same code, which V8's optimising compiler speeds up (14 s instead of 23 s),
# so this one process keeps it (src/vm/host-node.ts says why the others do not).
PODWIRE_WASM_TIER_UP=1 npx tsx src/vm/assets-node.ts
