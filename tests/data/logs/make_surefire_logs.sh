#!/bin/sh
# Regenerates the real Maven logs surefire222_*.txt and maven_*_real.txt: Debian's maven 3.8.7 with its maven-
# surefire-plugin 2.22.3 (the only version Debian has: 2.12.4 and 2.17 are relocated to it), compiler 3.10.1,
# offline against /usr/share/maven-repo (apt-get install maven libsurefire-java libmaven-compiler-plugin-java
# libmaven-resources-plugin-java junit4 junit5). Projects: maven_project (JUnit 4, incl. Parameterized, a timeout
# and a failing @BeforeClass) and maven5_project (Jupiter incl. @Nested, @ParameterizedTest, assertAll and a failing
# @BeforeAll; one JUnit 4 test through the vintage engine). Variants: default (Surefire trims traces to the test
# class), trimStackTrace=false, a compile error in the main code, one in a test. Run from this folder; skips when
# mvn is absent.
set -e
command -v mvn >/dev/null || { echo "mvn not found: apt-get install maven libsurefire-java (see above)"; exit 0; }
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
# a local repository of links to Debian's (maven writes its bookkeeping there, not into /usr/share/maven-repo)
cp -rs /usr/share/maven-repo "$W/repo"
printf '<settings><localRepository>%s/repo</localRepository><offline>true</offline></settings>\n' "$W" > "$W/s.xml"
here=$(pwd)
run() {  # run LOG PROJECT-COPY GOAL [ARGS...]: mvn's output with the temporary folder replaced by /home/u
    log=$1; dir=$2; shift 2
    (cd "$dir" && mvn -B -s "$W/s.xml" "$@" 2>&1 || true) | sed -e "s#$W#/home/u#g" -e 's/\x1b\[[0-9;]*m//g' \
        > "$here/$log"
}
cp -r maven_project "$W/p4"
cp -r maven5_project "$W/p5"
run surefire222_junit4.txt "$W/p4" test
run surefire222_junit4_fulltrace.txt "$W/p4" -DtrimStackTrace=false test
run surefire222_junit5.txt "$W/p5" test
# main code: two unknown names in Words.java
sed -i -e 's/start = c == .,.;/start = c == sep;/' -e 's/int n = 0;/int n = zero;/' \
    "$W/p4/src/main/java/com/acme/text/Words.java"
run maven_compile_real.txt "$W/p4" test
# a test that calls a method with a signature it no longer has
cp maven_project/src/main/java/com/acme/text/Words.java "$W/p4/src/main/java/com/acme/text/Words.java"
sed -i 's/Words.countVowels("")/Words.countVowels("", true)/' "$W/p4/src/test/java/com/acme/text/WordsTest.java"
run maven_testcompile_real.txt "$W/p4" test
