#!/usr/bin/env bash
# Gradescope runs this once, as root, while it builds the autograder image (not for every
# submission). It installs a Swift toolchain and builds the `grade` command from the package
# sources in this bundle (/autograder/source), and python3 with NumPy for Python submissions.
#
# Assumptions — check them against the base image chosen in Gradescope's autograder settings:
#   * the image is Ubuntu 20.04, 22.04 or 24.04, on x86_64 or aarch64 (Gradescope's images are
#     Ubuntu); swift.org publishes a toolchain tarball for each of these;
#   * the image build may download from download.swift.org (about 800 MB unpacked);
#   * SWIFT_VERSION (filled in by `grade gradescope-bundle --swift-version`) builds this package.
# Nothing here runs while students submit: run_autograder only uses what this script built.
set -euo pipefail

SWIFT_VERSION="${SWIFT_VERSION:-@SWIFT_VERSION@}"
SOURCE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PREFIX=/opt/swift

. /etc/os-release
case "${VERSION_ID:-}" in
  20.04|22.04|24.04) ;;
  *) echo "setup.sh: Swift publishes toolchains for Ubuntu 20.04, 22.04 and 24.04, not '${PRETTY_NAME:-unknown}'; choose one of those base images." >&2
     exit 1 ;;
esac
platform="ubuntu${VERSION_ID}"          # ubuntu22.04 (file name)
folder="ubuntu${VERSION_ID//./}"        # ubuntu2204  (folder name)
if [ "$(uname -m)" = "aarch64" ]; then platform="${platform}-aarch64"; folder="${folder}-aarch64"; fi

export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends \
  build-essential ca-certificates curl git gnupg2 libcurl4-openssl-dev libedit2 libncurses-dev \
  libsqlite3-0 libxml2-dev pkg-config python3 tzdata unzip zlib1g-dev

# Python submissions (solution.py) run with the python3 on PATH, NumPy, and the packages the
# rubric's "python_packages" allows; util-linux's setpriv and unshare confine them.
apt-get install -y --no-install-recommends python3-numpy util-linux @PYTHON_APT_PACKAGES@
for package in numpy @PYTHON_PACKAGES@; do
  python3 -c "import $package" 2> /dev/null \
    || python3 -m pip install --break-system-packages "$package" || python3 -m pip install "$package"
done

url="https://download.swift.org/swift-${SWIFT_VERSION}-release/${folder}/swift-${SWIFT_VERSION}-RELEASE/swift-${SWIFT_VERSION}-RELEASE-${platform}.tar.gz"
echo "setup.sh: installing Swift ${SWIFT_VERSION} from ${url}"
mkdir -p "$PREFIX"
curl -fsSL --retry 3 "$url" | tar -xz -C "$PREFIX" --strip-components=1
export PATH="$PREFIX/usr/bin:$PATH"
swift --version

cd "$SOURCE"
# The image is built once and may run on other hosts: no CPU-specific code (see Package.swift).
JACOBIANS_PORTABLE=1 swift build -c release --product grade
ln -sf "$SOURCE/.build/release/grade" /usr/local/bin/grade

# The archive does not carry file modes: make the per-submission script executable wherever
# Gradescope put it.
chmod +x "$SOURCE/run_autograder"
if [ -f /autograder/run_autograder ]; then chmod +x /autograder/run_autograder; fi
# The course key must be readable by its owner only: the grader refuses it otherwise.
if [ -f "$SOURCE/course.key" ]; then chmod 600 "$SOURCE/course.key"; fi
grade list --assignments "$SOURCE/Assignments"
