#!/usr/bin/env bash
# Runs all of lenetcl's tests on a fresh machine: installs an OpenCL
# platform (PoCL, on the CPU) where none is installed and this is Debian
# run as root, then tests the portable build and the AVX-512 build
# (GOEXPERIMENT=simd) of the CPU backend. Set LENETCL_REQUIRE_OPENCL=1 to
# make a missing OpenCL platform fail the OpenCL tests instead of skipping them.
set -euo pipefail
cd "$(dirname "$0")"
if ! ldconfig -p | grep -q 'libOpenCL\.so\.1' || ! ls /etc/OpenCL/vendors/*.icd >/dev/null 2>&1; then
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
		echo "test.sh: installing PoCL (OpenCL on the CPU)"
		export DEBIAN_FRONTEND=noninteractive
		apt-get update -qq
		apt-get install -y -qq pocl-opencl-icd ocl-icd-libopencl1 clinfo >/dev/null
	else
		echo "test.sh: no OpenCL platform and cannot install PoCL here: OpenCL tests will skip" >&2
	fi
fi
go vet ./...
CGO_ENABLED=0 go build ./...
go test ./...
GOEXPERIMENT=simd go test ./cpu/ ./device/...
