#!/usr/bin/env bash
# Gradescope runs this once, as root, while it builds the autograder image (not for every
# submission). It installs what the grader needs — the Swift toolchain for the image's Ubuntu
# release, zlib, bubblewrap (the sandbox of students' Swift code), python3 with NumPy (Python
# submissions) — and builds the `grade` command from the package sources in this bundle
# (/autograder/source).
#
# Assumptions — check them against the base image chosen in Gradescope's autograder settings:
#   * the image is Ubuntu 22.04 or 24.04, on x86_64 or aarch64; swift.org publishes a toolchain
#     tarball for each of these (another release stops here, with the reason);
#   * the image build may download from download.swift.org (about 800 MB unpacked);
#   * SWIFT_VERSION (filled in by `grade gradescope-bundle --swift-version`) builds this package.
# Any failure stops the script with a line saying which step failed, so that Gradescope's image
# build fails too, instead of an image on which every submission scores 0.
#
# GRADE_TOOLCHAIN=present skips the system packages and the download (a toolchain, zlib and
# bubblewrap already installed, as on a course's own machine or CI); the build is the same.
# Nothing here runs while students submit: run_autograder only uses what this script built.
set -euo pipefail
trap 'echo "setup.sh: FAILED at line $LINENO: $BASH_COMMAND (exit status $?); the autograder is not installed." >&2' ERR

SWIFT_VERSION="${SWIFT_VERSION:-@SWIFT_VERSION@}"
SOURCE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="${AUTOGRADER_ROOT:-/autograder}"
PREFIX=/opt/swift

fail() { echo "setup.sh: FAILED: $*" >&2; exit 1; }

if [ "${GRADE_TOOLCHAIN:-}" != "present" ]; then
  [ "$(id -u)" = 0 ] || fail "run as root (Gradescope does), or set GRADE_TOOLCHAIN=present with Swift, zlib and bubblewrap already installed."
  [ -r /etc/os-release ] || fail "no /etc/os-release: this is not an Ubuntu image."
  . /etc/os-release
  case "${ID:-}:${VERSION_ID:-}" in
    ubuntu:22.04|ubuntu:24.04) ;;
    *) fail "the grader is set up for Ubuntu 22.04 and 24.04, not '${PRETTY_NAME:-unknown}'; choose one of those base images." ;;
  esac
  platform="ubuntu${VERSION_ID}"          # ubuntu22.04 (file name)
  folder="ubuntu${VERSION_ID//./}"        # ubuntu2204  (folder name)
  case "$(uname -m)" in
    x86_64) ;;
    aarch64) platform="${platform}-aarch64"; folder="${folder}-aarch64" ;;
    *) fail "swift.org publishes toolchains for x86_64 and aarch64, not $(uname -m)." ;;
  esac

  export DEBIAN_FRONTEND=noninteractive
  apt-get update || fail "apt-get update did not work (is the network reachable from the image build?)."
  # The toolchain's own needs (swift.org's list for these releases), then the grader's: zlib
  # headers (.npz), bubblewrap (students' Swift code), python3 (reading submission_metadata.json).
  apt-get install -y --no-install-recommends \
    binutils build-essential ca-certificates curl git gnupg2 libc6-dev libcurl4-openssl-dev libedit2 \
    libncurses-dev libpython3-dev libsqlite3-0 libxml2-dev libz3-dev pkg-config tzdata unzip \
    zlib1g-dev bubblewrap python3 \
    || fail "apt-get could not install the packages the toolchain and the grader need."
  # Python submissions (solution.py) run with the python3 on PATH, NumPy, and the packages the
  # rubric's "python_packages" allows; util-linux's setpriv and unshare confine them.
  apt-get install -y --no-install-recommends python3-numpy util-linux @PYTHON_APT_PACKAGES@ \
    || fail "apt-get could not install python3-numpy and util-linux (for Python submissions)."
  for package in numpy @PYTHON_PACKAGES@; do
    python3 -c "import $package" 2> /dev/null \
      || python3 -m pip install --break-system-packages "$package" || python3 -m pip install "$package" \
      || fail "could not install the Python package $package (for Python submissions)."
  done

  url="https://download.swift.org/swift-${SWIFT_VERSION}-release/${folder}/swift-${SWIFT_VERSION}-RELEASE/swift-${SWIFT_VERSION}-RELEASE-${platform}.tar.gz"
  echo "setup.sh: installing Swift ${SWIFT_VERSION} from ${url}"
  mkdir -p "$PREFIX"
  curl -fsSL --retry 3 "$url" -o /tmp/swift.tar.gz || fail "could not download $url (is Swift ${SWIFT_VERSION} published for ${PRETTY_NAME}?)."
  tar -xzf /tmp/swift.tar.gz -C "$PREFIX" --strip-components=1 || fail "could not unpack the toolchain into $PREFIX."
  rm -f /tmp/swift.tar.gz
  export PATH="$PREFIX/usr/bin:$PATH"
fi

# What the build and the grader need, whichever way it was installed.
command -v swift > /dev/null || fail "no swift on the PATH."
[ -f /usr/include/zlib.h ] || fail "no zlib headers (/usr/include/zlib.h; the Ubuntu package zlib1g-dev)."
command -v bwrap > /dev/null || echo "setup.sh: warning: no bubblewrap (bwrap): Swift submissions run under the grader's weaker isolation." >&2
python3 -c "import numpy" 2> /dev/null || echo "setup.sh: warning: no python3 with NumPy: Python submissions (solution.py) cannot be graded." >&2
swift --version

cd "$SOURCE"
# The image is built once and may run on other hosts: no CPU-specific code (see Package.swift).
JACOBIANS_PORTABLE=1 swift build -c release --product grade
grade="$SOURCE/.build/release/grade"
[ -x "$grade" ] || fail "the build finished without $grade."

if [ "${GRADE_TOOLCHAIN:-}" != "present" ]; then ln -sf "$grade" /usr/local/bin/grade; fi
# The archive does not carry file modes: make the per-submission script executable wherever
# Gradescope put it.
chmod +x "$SOURCE/run_autograder"
if [ -f "$ROOT/run_autograder" ]; then chmod +x "$ROOT/run_autograder"; fi
# The course key must be readable by its owner only: the grader refuses it otherwise.
if [ -f "$SOURCE/course.key" ]; then chmod 600 "$SOURCE/course.key"; fi
"$grade" list --assignments "$SOURCE/Assignments"
echo "setup.sh: the autograder is installed ($grade)."
