#!/usr/bin/env bash
# For a machine that runs Docker but cannot pull from mcr.microsoft.com: builds local stand-ins for the two base
# images the Dockerfile names, so that `docker build .` can be tried there. Not needed anywhere else.
#
#   usage: bash tools/docker/stand-in-bases.sh        (as root: debootstrap and docker import need it)
#
# Both are a Debian bookworm root file system from debootstrap (ICU, CA certificates) with this machine's .NET 10:
#   mcr.microsoft.com/dotnet/aspnet:10.0  the dotnet host and the Microsoft.NETCore.App / Microsoft.AspNetCore.App
#                                          shared runtimes, and the non-root user `app` (uid 1654, $APP_UID) of the
#                                          real image
#   mcr.microsoft.com/dotnet/sdk:10.0     the whole SDK folder
# The Debian mirror is the first …/debian one in this machine's apt sources (or $DEBIAN_MIRROR); the .NET files come from
# the SDK on PATH. The real images are Microsoft's builds; these only behave like them for our Dockerfile.
set -euo pipefail

mirror=${DEBIAN_MIRROR:-$(grep -rhoE '^(URIs:|deb) +(\[[^]]*\] +)?https?://[^ ]+' /etc/apt/sources.list /etc/apt/sources.list.d/ 2>/dev/null \
  | grep -oE 'https?://[^ ]+/debian/?$' | head -n 1 || true)}
[[ -n $mirror ]] || { echo "no Debian mirror in /etc/apt/sources.list*: set DEBIAN_MIRROR" >&2; exit 1; }
dotnet_root=$(dirname "$(readlink -f "$(command -v dotnet)")")
[[ -d $dotnet_root/shared/Microsoft.AspNetCore.App ]] || { echo "no ASP.NET Core runtime under $dotnet_root" >&2; exit 1; }
command -v debootstrap >/dev/null || { echo "debootstrap is required (apt-get install debootstrap)" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
rootfs=$work/rootfs
echo "== debootstrap bookworm from $mirror"
debootstrap --variant=minbase --include=ca-certificates,libicu72,tzdata bookworm "$rootfs" "$mirror" >"$work/debootstrap.log" \
  || { tail -n 20 "$work/debootstrap.log" >&2; exit 1; }
rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
# Certificate authorities this machine adds (e.g. a proxy's) are trusted inside too, so that restore reaches NuGet.
if compgen -G '/usr/local/share/ca-certificates/*.crt' >/dev/null; then
  cp /usr/local/share/ca-certificates/*.crt "$rootfs/usr/local/share/ca-certificates/"
  chroot "$rootfs" update-ca-certificates >/dev/null 2>&1
fi
chroot "$rootfs" groupadd --gid 1654 app
chroot "$rootfs" useradd --uid 1654 --gid 1654 --no-create-home --shell /usr/sbin/nologin app

# The real images keep .NET in /usr/share/dotnet with /usr/bin/dotnet linking to it.
import_image() {
  local name=$1 tree=$2
  shift 2
  tar -C "$tree" -c . | docker import "$@" - "$name" >/dev/null
  echo "$name: $(docker image inspect --format '{{.Size}}' "$name" | awk '{printf "%.0f MB", $1 / 1e6}')"
}
env_base=(--change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
          --change 'ENV DOTNET_RUNNING_IN_CONTAINER=true' --change 'ENV APP_UID=1654')

echo "== aspnet runtime"
mkdir -p "$rootfs/usr/share/dotnet/shared"
cp -a "$dotnet_root/dotnet" "$dotnet_root/host" "$dotnet_root/LICENSE.txt" "$dotnet_root/ThirdPartyNotices.txt" "$rootfs/usr/share/dotnet/"
cp -a "$dotnet_root/shared/Microsoft.NETCore.App" "$dotnet_root/shared/Microsoft.AspNetCore.App" "$rootfs/usr/share/dotnet/shared/"
ln -sf /usr/share/dotnet/dotnet "$rootfs/usr/bin/dotnet"
import_image mcr.microsoft.com/dotnet/aspnet:10.0 "$rootfs" "${env_base[@]}" --change 'ENV ASPNETCORE_HTTP_PORTS=8080'

echo "== sdk"
rm -rf "$rootfs/usr/share/dotnet"
cp -a "$dotnet_root" "$rootfs/usr/share/dotnet"
import_image mcr.microsoft.com/dotnet/sdk:10.0 "$rootfs" "${env_base[@]}" \
  --change 'ENV DOTNET_CLI_TELEMETRY_OPTOUT=1' --change 'ENV DOTNET_NOLOGO=1' \
  ${NUGET_CERT_REVOCATION_MODE:+--change "ENV NUGET_CERT_REVOCATION_MODE=$NUGET_CERT_REVOCATION_MODE"}
