#!/usr/bin/env bash
# Builds the local `busybox:latest` image from Debian's busybox-static (no registry is reachable):
# a rootfs with /bin/busybox, a symlink per applet, /etc/passwd and /tmp, imported into Docker.
# Skips when the image already carries the installed busybox-static version in its label.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

IMAGE=${KACTUS_BUSYBOX_IMAGE:-busybox:latest}
LABEL=io.kactus.busybox-static.version
BUSYBOX=/bin/busybox

version=$(dpkg-query -W -f='${Version}' busybox-static 2>/dev/null) || die "busybox-static is not installed (run scripts/setup-host.sh)"
docker_answers || die "the docker engine does not answer (run scripts/setup-host.sh)"

current=$(docker image inspect -f "{{index .Config.Labels \"$LABEL\"}}" "$IMAGE" 2>/dev/null || true)
if [[ "$current" == "$version" ]]; then
  log "$IMAGE is up to date (busybox-static $version)"
  exit 0
fi

rootfs=$(mktemp -d)
trap 'rm -rf "$rootfs"' EXIT
mkdir -p "$rootfs"/{bin,sbin,usr/bin,usr/sbin,etc,root,tmp,proc,sys,dev,var/tmp}
chmod 1777 "$rootfs/tmp" "$rootfs/var/tmp"
cp "$BUSYBOX" "$rootfs/bin/busybox"
# --list-full gives each applet's usual path (bin/sh, usr/bin/env, sbin/ip).
for applet in $("$BUSYBOX" --list-full); do
  [[ "$applet" == bin/busybox ]] && continue
  mkdir -p "$rootfs/$(dirname "$applet")"
  ln -sf /bin/busybox "$rootfs/$applet"
done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$rootfs/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$rootfs/etc/group"

tar -C "$rootfs" --numeric-owner --owner=0 --group=0 -c . \
  | docker import -c 'CMD ["sh"]' -c 'ENV PATH=/usr/sbin:/usr/bin:/sbin:/bin' -c "LABEL $LABEL=$version" - "$IMAGE" >/dev/null
log "built $IMAGE from busybox-static $version"
