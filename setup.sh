#!/usr/bin/env bash
# Installs what repairchat needs on a fresh Debian machine: Java 17, JUnit 4 and 5, bubblewrap (Debian packages) and a venv
# (.venv) with torch==2.13.0 installed first (a local CPU build), then repairchat itself. Safe to re-run.
set -euo pipefail
cd "$(dirname "$0")"
need=()
command -v javac >/dev/null 2>&1 || need+=(openjdk-17-jdk-headless)
[ -f /usr/share/java/junit4.jar ] || need+=(junit4)
[ -f /usr/share/java/hamcrest-core.jar ] || need+=(libhamcrest-java)
[ -f /usr/share/java/junit-platform-launcher.jar ] || need+=(junit5)  # JUnit 5 (Jupiter) tests
command -v bwrap >/dev/null 2>&1 || need+=(bubblewrap)  # the sandbox candidate patches run in
if [ ${#need[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
fi
stamp=".venv/.repairchat-installed"
want="$(sha256sum pyproject.toml setup.sh | sha256sum | cut -c1-16)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  [ -x .venv/bin/python ] || python3 -m venv .venv
  .venv/bin/python -m pip install -q --disable-pip-version-check torch==2.13.0
  .venv/bin/python -m pip install -q --disable-pip-version-check -e ".[ml,test]"
  echo "$want" > "$stamp"
fi
