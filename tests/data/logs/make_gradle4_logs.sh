#!/bin/sh
# Regenerates gradle4_compile.txt and gradle4_test.txt with Debian's gradle 4.4.1 (apt-get install gradle), offline,
# on a copy of gradle4_project: first with a missing ';' in Calc.add (Gradle 4 glues ":compileJava" to the
# path of the compiler's first line), then with the project as it is (one failing JUnit 4 test). Run from here.
set -e
W=$(mktemp -d)
cp -r gradle4_project/. "$W"
sed -i 's/return a - b;/int c = a + b\n        return c;/' "$W/src/main/java/p/Calc.java"
(cd "$W" && gradle --offline --console=plain compileJava) > gradle4_compile.txt 2>&1 || true
cp gradle4_project/src/main/java/p/Calc.java "$W/src/main/java/p/Calc.java"
(cd "$W" && gradle --offline --console=plain test) > gradle4_test.txt 2>&1 || true
rm -rf "$W"
