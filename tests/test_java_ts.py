"""Table tests for extractors.java (tree-sitter helpers)."""
import pytest

from extractors import java

CLASS = """package p;

public class Foo {
    private int x;

    /** doc */
    @Override
    public String toString() { return "Foo"; }

    public Foo(int x) {
        this.x = x;
    }

    int add(int a, int b) {
        return a + b;
    }

    int add(int a) {
        return add(a, x);
    }

    static <T> void each(java.util.List<T> xs, String... more) {
        Runnable r = new Runnable() {
            public void run() { System.out.println("héllo"); }
        };
    }
}
"""


@pytest.mark.parametrize("src,expected", [
    ("class A { void f() { int x = 1; } }", False),
    ("class A { void f() { int x = 1 } }", True),          # MISSING ;
    ("class A { void f() { int x = 1; }", True),            # MISSING }
    ("class A { void f() { x = ; } }", True),               # ERROR
    ("int f(int a) { return a; }", False),                  # bare method parses at top level
    ("", False),
    ("class A { String s = \"unterminated; }", True),
    ("class A { void f() { if (x) { return; } else } }", True),
])
def test_has_errors(src, expected):
    assert java.has_errors(src) is expected


def test_methods_order_and_arity():
    ms = java.methods(CLASS)
    assert [(m.name, m.arity) for m in ms] == [
        ("toString", 0), ("Foo", 1), ("add", 2), ("add", 1), ("each", 2), ("run", 0)]
    ts = ms[0]
    assert ts.text.startswith("@Override")
    assert ts.start_line == 7 and ts.end_line == 8
    data = CLASS.encode()
    for m in ms:
        assert data[m.start_byte:m.end_byte].decode() == m.text


def test_byte_offsets_utf8():
    run = [m for m in java.methods(CLASS) if m.name == "run"][0]
    assert "héllo" in run.text
    assert CLASS.encode()[run.start_byte:run.end_byte].decode() == run.text


@pytest.mark.parametrize("name,line,expected_arity", [
    ("add", None, 2),
    ("add", 15, 2),
    ("add", 19, 1),
    ("add", 30, 1),
    ("add", 1, 2),
    ("Foo", None, 1),
    ("run", 25, 0),
    ("nope", None, None),
])
def test_find_method(name, line, expected_arity):
    m = java.find_method(CLASS, name, line)
    assert (m.arity if m else None) == expected_arity


@pytest.mark.parametrize("a,b,same", [
    ("int f(){return 1;}", "int f ( )\n{\n  return 1; // one\n}", True),
    ("int f(){return 1;}", "int f(){ /* c */ return 1; }", True),
    ("int f(){return 1;}", "int f(){return 2;}", False),
    ('String f(){return "a  b";}', 'String f(){return "a b";}', False),   # literal kept verbatim
    ("int f(){return 1;}\r\n", "int f(){return 1;}", True),
])
def test_normalize(a, b, same):
    assert (java.normalize(a) == java.normalize(b)) is same


def test_normalize_tokens():
    assert java.normalize("int  f( int a ){ return a+1; }") == "int f ( int a ) { return a + 1 ; }"


@pytest.mark.parametrize("decl,params", [
    ("int f(int a, long b) { return 0; }", ("int", "long")),
    ("<T> void f(java.util.List<T> xs, String... more) {}", ("List", "String...")),
    ("int f(final int a[], @Nullable Map<String, List<Integer>> m, byte[][] b) { return 1; }",
     ("int[]", "Map", "byte[][]")),
    ("void f() {}", ()),
])
def test_parameter_types(decl, params):
    (m,) = java.methods("class A { " + decl + " }")
    assert m.params == params and m.arity == len(params)


def test_depth_of_nested_class_methods():
    src = "class A { void f() { new Runnable() { public void run() {} }; } static class B { void g() {} } }"
    depth = {m.name: m.depth for m in java.methods(src)}
    assert depth == {"f": 1, "run": 2, "g": 2}


def test_lone_surrogate_is_replaced_not_raised():
    src = "class A { String f() { return \"\ud800\"; } }"
    assert java.utf8(src).decode("utf-8") == java.scrub(src) and "\ufffd" in java.scrub(src)
    (m,) = java.methods(src)
    assert m.name == "f" and not java.has_errors(src)
