#!/usr/bin/env bash
# Creates, without any container registry, the base images that FaaSO's runtimes
# start FROM: debian:bookworm-slim (a minimal debootstrap of Debian 12, the same
# content as the official image) and denoland/deno:bin-VERSION (FROM scratch with
# /deno, as the official image, the binary taken from Deno's npm package).
# Images that already exist are kept. Needs root, debootstrap and a Docker engine.
#
#   bash tests/create_base_images.sh            # create what is missing
#   bash tests/create_base_images.sh --force    # re-create both
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
force=${1:-}

# The deno runtime's default version is the one its options file declares (deno_version's default).
deno_version=$(awk '/^deno_version:/ { found = 1; next } found && /^[^ ]/ { exit }
  found && /^ *default:/ { gsub(/[" ]/, "", $2); print $2; exit }' "$root/runtimes/deno/options.yml")
if [ -z "$deno_version" ]; then
  echo "Cannot find the default deno_version in runtimes/deno/options.yml" >&2
  exit 1
fi

has_image() { [ "$force" != "--force" ] && docker image inspect "$1" >/dev/null 2>&1; }

# The first Debian mirror named in the machine's apt sources (deb822 or one-line form).
debian_mirror() {
  local m
  m=$(grep -hsE '^URIs:.*debian/?$' /etc/apt/sources.list.d/*.sources | head -n 1 | awk '{print $2}')
  [ -n "$m" ] || m=$(grep -hsE '^deb [^ ]+/debian/? bookworm' /etc/apt/sources.list /etc/apt/sources.list.d/*.list | head -n 1 | awk '{print $2}')
  echo "${m:-http://deb.debian.org/debian}"
}

if has_image debian:bookworm-slim; then
  echo "debian:bookworm-slim: present"
else
  mirror=$(debian_mirror)
  echo "debian:bookworm-slim: debootstrap from $mirror (about 35 s)"
  dir=$(mktemp -d /tmp/faaso-debian.XXXXXX)
  trap 'rm -rf "$dir"' EXIT
  debootstrap --variant=minbase bookworm "$dir" "$mirror" >/tmp/faaso-debootstrap.log 2>&1 || {
    tail -n 20 /tmp/faaso-debootstrap.log >&2
    exit 1
  }
  # The official image also knows the updates and security suites.
  cat >"$dir/etc/apt/sources.list" <<SOURCES
deb $mirror bookworm main
deb $mirror bookworm-updates main
deb ${mirror%/debian*}/debian-security bookworm-security main
SOURCES
  # Containers reach the network through this machine's TLS gateway: trust its CAs.
  if compgen -G "/usr/local/share/ca-certificates/*.crt" >/dev/null; then
    mkdir -p "$dir/usr/local/share/ca-certificates"
    cp /usr/local/share/ca-certificates/*.crt "$dir/usr/local/share/ca-certificates/"
    if [ -x "$dir/usr/sbin/update-ca-certificates" ]; then
      chroot "$dir" update-ca-certificates >/dev/null
    else
      # minbase has no ca-certificates package: build the bundle where OpenSSL looks.
      mkdir -p "$dir/etc/ssl/certs"
      cat /usr/local/share/ca-certificates/*.crt >"$dir/etc/ssl/certs/ca-certificates.crt"
    fi
  fi
  # What makes the official image "slim" (debuerreotype --slimify) and keeps apt from
  # leaving its cache in every image layer built on it.
  cat >"$dir/etc/apt/apt.conf.d/docker-clean" <<'APT'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
APT
  printf 'APT::AutoRemove::SuggestsImportant "false";\n' >"$dir/etc/apt/apt.conf.d/docker-autoremove-suggests"
  printf 'Acquire::Languages "none";\n' >"$dir/etc/apt/apt.conf.d/docker-no-languages"
  cat >"$dir/etc/dpkg/dpkg.cfg.d/docker" <<'DPKG'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
path-exclude /usr/share/lintian/*
DPKG
  find "$dir/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete 2>/dev/null || true
  rm -rf "$dir"/usr/share/man/* "$dir"/usr/share/info/* "$dir"/usr/share/lintian/*
  find "$dir/usr/share/locale" -mindepth 1 -maxdepth 1 -not -name locale.alias -exec rm -rf {} + 2>/dev/null || true
  rm -rf "$dir"/var/lib/apt/lists/* "$dir"/var/cache/apt/*.bin "$dir"/var/cache/apt/archives/*.deb "$dir"/var/log/*.log
  tar -C "$dir" -c . | docker import -c 'CMD ["bash"]' - debian:bookworm-slim >/dev/null
  rm -rf "$dir"
  trap - EXIT
  echo "debian:bookworm-slim: created"
fi

image="denoland/deno:bin-$deno_version"
if has_image "$image"; then
  echo "$image: present"
else
  echo "$image: from the npm package @deno/linux-x64-glibc@$deno_version"
  dir=$(mktemp -d /tmp/faaso-deno.XXXXXX)
  trap 'rm -rf "$dir"' EXIT
  (cd "$dir" && npm pack --silent "@deno/linux-x64-glibc@$deno_version" >/dev/null && tar xzf ./*.tgz)
  mkdir "$dir/ctx"
  cp "$dir/package/deno" "$dir/ctx/deno"
  chmod 0755 "$dir/ctx/deno"
  printf 'FROM scratch\nCOPY deno /deno\n' >"$dir/ctx/Dockerfile"
  DOCKER_BUILDKIT=0 docker build -q -t "$image" "$dir/ctx" >"$dir/build.log" 2>&1 || { cat "$dir/build.log" >&2; exit 1; }
  rm -rf "$dir"
  trap - EXIT
  echo "$image: created"
fi
