#!/bin/sh
# Regenerates junit5_console_{verbose,flat,tree,summary}.txt: the JUnit 5 console launcher (Debian package junit5,
# 1.9) in each --details mode on junit5_project (Jupiter + JUnit 4 through the vintage engine; the project's
# package looks like a library's on purpose: org.mockito.internal.util). Run from this folder.
set -e
CP=/usr/share/java/junit-platform-console-standalone.jar
OUT=$(mktemp -d)
javac -d "$OUT" -cp "$CP:/usr/share/java/junit4.jar" junit5_project/src/org/mockito/internal/util/*.java \
    junit5_project/test/org/mockito/internal/util/*.java
for mode in verbose flat tree summary; do
    java -jar "$CP" --disable-banner --details=$mode --disable-ansi-colors \
        -cp "$OUT:/usr/share/java/junit4.jar:/usr/share/java/hamcrest-core.jar" \
        --select-package org.mockito.internal.util > junit5_console_$mode.txt 2>&1 || true
done
rm -rf "$OUT"
