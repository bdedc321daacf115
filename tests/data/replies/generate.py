"""Regenerates replies.jsonl (the reply corpus). Add rows at the end; run: python tests/data/replies/generate.py"""
import json
F = "```"
ADD_BUG = "public int add(int a, int b) {\n    return a + b + 1;\n}"
ADD = "public int add(int a, int b) {\n    return a + b;\n}"
ADD1 = "public int add(int a) {\n    return add(a, 0);\n}"
GCD = """public static int gcd(int a, int b) {
    while (b != 0) {
        int t = b;
        b = a % b;
        a = t;
    }
    return Math.abs(a);
}"""
GCD_BUG = GCD.replace("Math.abs(a)", "a")
MAX = """@Override
public <T extends Comparable<T>> T max(List<T> xs) throws IllegalArgumentException {
    if (xs.isEmpty()) {
        throw new IllegalArgumentException("empty list: {}");
    }
    T best = xs.get(0);
    for (T x : xs) {
        if (x.compareTo(best) > 0) {
            best = x;
        }
    }
    return best;
}"""
QUOTE = r'''String quote(String s) {
    if (s == null) return "null";
    StringBuilder sb = new StringBuilder("\"{");
    for (char c : s.toCharArray()) {
        if (c == '"' || c == '\\' || c == '}') sb.append('\\'); // see http://x/{y}
        sb.append(c);
    }
    return sb.append("}\"").toString();
}'''
CTOR = "public Calc(int base) {\n    this.base = base;\n    this.cache = new HashMap<>();\n}"
SW = """static String kind(Object o) {
    return switch (o) {
        case Integer i when i > 0 -> "pos";
        case Integer i -> "int";
        default -> {
            String s = String.valueOf(o);
            yield s.isEmpty() ? "empty" : "other";
        }
    };
}"""

def ind(s, n):
    return "\n".join((" " * n + l) if l.strip() else l for l in s.split("\n"))

rows = []
def row(note, reply, name, arity, expected, original=None, kind="method"):
    r = {"note": note, "reply": reply, "name": name, "arity": arity, "expected": expected, "kind": kind}
    if original:
        r["original"] = original
    rows.append(r)

row("fenced java", f"Here is the fixed method:\n\n{F}java\n{ADD}\n{F}\n\nThe extra +1 was the bug.", "add", 2, ADD)
row("fenced Java capitalised", f"{F}Java\n{GCD}\n{F}", "gcd", 2, GCD)
row("fenced JAVA upper", f"Fixed:\n{F}JAVA\n{GCD}\n{F}", "gcd", 2, GCD)
row("fence without tag", f"Try this:\n{F}\n{ADD}\n{F}", "add", 2, ADD)
row("tilde fence", f"~~~java\n{ADD}\n~~~\n", "add", 2, ADD)
row("wrong tag c++: another language is never read as Java", f"{F}cpp\n{GCD}\n{F}", "gcd", 2, None)
row("wrong tag python: another language is never read as Java", f"{F}python\n{ADD}\n{F}", "add", 2, None)
row("four backtick fence", f"````java\n{MAX}\n````", "max", 1, MAX)
row("fence info with attributes", f"{F}java title=\"Calc.java\"\n{ADD}\n{F}", "add", 2, ADD)
row("echo then answer, both fenced",
    f"The buggy method is:\n{F}java\n{ADD_BUG}\n{F}\nThe problem is the `+ 1`. Fixed version:\n{F}java\n{ADD}\n{F}",
    "add", 2, ADD, original=ADD_BUG)
row("echo then answer, original given",
    f"You gave me:\n{F}java\n{ADD_BUG}\n{F}\nCorrected:\n{F}java\n{ADD}\n{F}", "add", 2, ADD, original=ADD_BUG)
row("answer then original for reference (original given)",
    f"Fixed:\n{F}java\n{GCD}\n{F}\nFor reference, the original was:\n{F}java\n{GCD_BUG}\n{F}", "gcd", 2, GCD,
    original=GCD_BUG)
row("echoed prompt unfenced then fenced answer",
    f"// Buggy method\n{ADD_BUG}\n// Fixed method\n{F}java\n{ADD}\n{F}", "add", 2, ADD, original=ADD_BUG)
row("echoed prompt then unfenced answer",
    f"### Buggy\n{ADD_BUG}\n### Fixed\n{ADD}\n", "add", 2, ADD, original=ADD_BUG)
row("answer then usage snippet", f"{F}java\n{ADD}\n{F}\nUsage:\n{F}java\nint s = calc.add(1, 2);\n{F}", "add", 2, ADD)
row("repeated final answer block",
    f"{F}java\n{GCD}\n{F}\nSo the final answer is:\n{F}java\n{GCD}\n{F}", "gcd", 2, GCD)
row("whole class with main",
    f"{F}java\npublic class Calc {{\n{ind(ADD, 4)}\n\n    public static void main(String[] args) {{\n        System.out.println(new Calc().add(1, 2));\n    }}\n}}\n{F}",
    "add", 2, ADD)
row("whole class with package/imports/other methods",
    f"{F}java\npackage org.example;\n\nimport java.util.*;\n\npublic class MathUtil {{\n    private int base;\n\n{ind(GCD, 4)}\n\n    public int lcm(int a, int b) {{\n        return a / gcd(a, b) * b;\n    }}\n}}\n{F}",
    "gcd", 2, GCD)
row("class with new helper (helper dropped)",
    f"{F}java\nclass Calc {{\n    int add(int a, int b) {{\n        return sum(a, b);\n    }}\n    private int sum(int a, int b) {{\n        return a + b;\n    }}\n}}\n{F}",
    "add", 2, "int add(int a, int b) {\n    return sum(a, b);\n}")
row("loose method plus called helper kept",
    f"{F}java\nint add(int a, int b) {{\n    return sum(a, b);\n}}\n\nprivate int sum(int a, int b) {{\n    return a + b;\n}}\n{F}",
    "add", 2, "int add(int a, int b) {\n    return sum(a, b);\n}\n\nprivate int sum(int a, int b) {\n    return a + b;\n}")
row("loose method plus main (main dropped)",
    f"{F}java\n{ADD}\n\npublic static void main(String[] args) {{\n    System.out.println(new Calc().add(2, 2));\n}}\n{F}",
    "add", 2, ADD)
row("unfenced with Chinese prose",
    f"问题在于多加了 1。修复后的代码如下：\n\n{ADD}\n\n这样就可以通过测试了。", "add", 2, ADD)
row("unfenced with Portuguese prose",
    f"O erro está no valor absoluto. Aqui está o método corrigido:\n{GCD}\nAgora os testes devem passar.", "gcd", 2, GCD)
row("fenced with Chinese prose around",
    f"修复如下：\n{F}java\n{QUOTE}\n{F}\n解释：转义字符处理有误。", "quote", 1, QUOTE)
row("unfenced indented code block", f"Fixed method:\n\n{ind(GCD, 4)}\n\nThis handles negatives.", "gcd", 2, GCD)
row("unfenced braces inside strings and comments", f"Here you go:\n{QUOTE}\nDone.", "quote", 1, QUOTE)
row("endoftext then junk",
    f"{F}java\n{ADD}\n{F}<|endoftext|>public int add(int a, int b) {{ return 0; }}", "add", 2, ADD)
row("</s> token", f"{ADD}</s>", "add", 2, ADD)
row("im_start/im_end tokens", f"<|im_start|>assistant\n{F}java\n{GCD}\n{F}<|im_end|>\n<|im_start|>user\nthanks", "gcd", 2, GCD)
row("eot_id token", f"<|start_header_id|>assistant<|end_header_id|>\n\n{F}java\n{ADD}\n{F}<|eot_id|>", "add", 2, ADD)
row("token inside fence", f"{F}java\n{ADD}<|im_end|>", "add", 2, ADD)
row("truncated fence unbalanced", f"Here is the fix:\n{F}java\n{GCD[:GCD.index('a = t;')]}", "gcd", 2, None)
row("truncated after complete method", f"{F}java\n{ADD}\n\npublic static void main(String[] args) {{\n    System.out.println(", "add", 2, ADD)
row("echo then truncated answer", f"Original:\n{F}java\n{ADD_BUG}\n{F}\nFixed:\n{F}java\npublic int add(int a, int b) {{\n    if (a", "add", 2, None, original=ADD_BUG)
row("truncated unfenced", f"The fix:\n{GCD[:60]}", "gcd", 2, None)
row("placeholder // ...", f"{F}java\npublic int add(int a, int b) {{\n    // ...\n    return a + b;\n}}\n{F}", "add", 2, None)
row("placeholder rest unchanged", f"{F}java\n{GCD.replace('    return Math.abs(a);', '    /* rest unchanged */')}\n{F}", "gcd", 2, None)
row("placeholder rest of the code", f"{F}java\npublic int add(int a, int b) {{\n    // rest of the code remains the same\n    return a + b;\n}}\n{F}", "add", 2, None)
row("placeholder chinese", f"{F}java\npublic int add(int a, int b) {{\n    // 其余代码不变\n    return a + b;\n}}\n{F}", "add", 2, None)
row("placeholder bare ellipsis line", f"{F}java\npublic int add(int a, int b) {{\n    ...\n    return a + b;\n}}\n{F}", "add", 2, None)
row("legit comment mentioning same (not a placeholder)", f"{F}java\npublic int add(int a, int b) {{\n    // keep the same sign convention as sub()\n    return a + b;\n}}\n{F}", "add", 2, "public int add(int a, int b) {\n    // keep the same sign convention as sub()\n    return a + b;\n}")
row("crlf", f"Fixed:\r\n{F}java\r\n{GCD.replace(chr(10), chr(13)+chr(10))}\r\n{F}\r\n", "gcd", 2, GCD)
row("inline backtick method", "Just change it to `public int add(int a, int b) { return a + b; }` and it works.", "add", 2, "public int add(int a, int b) { return a + b; }")
row("search/replace with original",
    f"Calc.java\n{F}java\n<<<<<<< SEARCH\n    return a + b + 1;\n=======\n    return a + b;\n>>>>>>> REPLACE\n{F}", "add", 2, ADD, original=ADD_BUG)
row("search/replace two blocks with original",
    f"<<<<<<< SEARCH\npublic static int gcd(int a, int b) {{\n=======\npublic static int gcd(int a, int b) {{\n>>>>>>> REPLACE\n<<<<<<< SEARCH\n    return a;\n=======\n    return Math.abs(a);\n>>>>>>> REPLACE\n", "gcd", 2, GCD, original=GCD_BUG)
row("search/replace whole method, no original",
    f"<<<<<<< SEARCH\n{ADD_BUG}\n=======\n{ADD}\n>>>>>>> REPLACE", "add", 2, ADD)
row("search/replace indentation differs",
    f"<<<<<<< SEARCH\nreturn a;\n=======\nreturn Math.abs(a);\n>>>>>>> REPLACE", "gcd", 2, GCD, original=GCD_BUG)
row("unified diff with headers",
    f"{F}diff\n--- a/src/Calc.java\n+++ b/src/Calc.java\n@@ -10,3 +10,3 @@ public class Calc {{\n     public int add(int a, int b) {{\n-        return a + b + 1;\n+        return a + b;\n     }}\n{F}", "add", 2, ADD, original=ADD_BUG)
row("diff without @@ header",
    f"{F}diff\n-    return a;\n+    return Math.abs(a);\n{F}", "gcd", 2, GCD, original=GCD_BUG)
row("diff unfenced", f"Apply this patch:\n@@ -1,3 +1,3 @@\n public int add(int a, int b) {{\n-    return a + b + 1;\n+    return a + b;\n }}\n", "add", 2, ADD, original=ADD_BUG)
row("diff no original -> post image", f"{F}diff\n@@ -1,3 +1,3 @@\n public int add(int a, int b) {{\n-    return a + b + 1;\n+    return a + b;\n }}\n{F}", "add", 2, ADD)
row("prose only", "I could not determine the bug from the information given. Could you share the failing test?", "add", 2, None)
row("prose only chinese", "抱歉，我无法确定这个方法中的错误。请提供更多信息。", "gcd", 2, None)
row("only a statement fenced", f"Change the return line to:\n{F}java\nreturn a + b;\n{F}", "add", 2, None)
row("renamed method abstains", f"{F}java\npublic int sum(int a, int b) {{\n    return a + b;\n}}\n{F}", "add", 2, None)
row("overloads pick arity 2", f"{F}java\n{ADD1}\n\n{ADD}\n{F}", "add", 2, ADD)
row("overloads pick arity 1", f"{F}java\n{ADD}\n\n{ADD1}\n{F}", "add", 1, ADD1)
row("generic annotated throws", f"Fixed:\n{F}java\n{MAX}\n{F}", "max", 1, MAX)
row("generic annotated unfenced", f"Fixed:\n\n{MAX}\n\nThe comparison was inverted.", "max", 1, MAX)
row("constructor", f"{F}java\n{CTOR}\n{F}", "Calc", 1, CTOR)
row("name none single method", f"{F}java\n{GCD}\n{F}", None, None, GCD)
row("name none method plus main", f"{F}java\n{GCD}\n\npublic static void main(String[] a) {{ System.out.println(gcd(4, 6)); }}\n{F}", None, None, GCD)
row("deeply indented in fence", f"{F}java\n{ind(ADD, 8)}\n{F}", "add", 2, ADD)
row("tab indentation", f"{F}java\n{ADD.replace('    ', chr(9))}\n{F}", "add", 2, ADD.replace('    ', '\t'))
row("think block with draft", f"<think>\nThe original is {ADD_BUG} hmm maybe\npublic int add(int a, int b) {{ return a - b; }}\n</think>\n{F}java\n{ADD}\n{F}", "add", 2, ADD)
row("prose line inside fence", f"{F}java\nHere is the corrected code:\n{ADD}\n{F}", "add", 2, ADD)
row("fence in list item indented", f"1. Fix the sum:\n   {F}java\n{ind(ADD, 3)}\n   {F}\n2. Run the tests.", "add", 2, ADD)
row("syntax error kept for compiler feedback", f"{F}java\npublic int add(int a, int b) {{\n    return a + b\n}}\n{F}", "add", 2, "public int add(int a, int b) {\n    return a + b\n}")
row("javadoc excluded", f"{F}java\n/**\n * Adds.\n * @param a first\n */\n{ADD}\n{F}", "add", 2, ADD)
row("enum with method", f"{F}java\nenum Op {{\n    PLUS;\n{ind(ADD, 4)}\n}}\n{F}", "add", 2, ADD)
row("class with inner class", f"{F}java\npublic class Outer {{\n    static class Inner {{\n        int x;\n    }}\n{ind(GCD, 4)}\n}}\n{F}", "gcd", 2, GCD)
row("switch expressions java 21", f"{F}java\n{SW}\n{F}", "kind", 1, SW)
row("unfenced whole class in prose", f"Sure! Below is the full class.\n\npublic class Calc {{\n{ind(ADD, 4)}\n}}\n\nLet me know if you need more.", "add", 2, ADD)
row("annotation line unfenced", f"Fix:\n@Override\npublic String toString() {{\n    return name;\n}}\nthat's it", "toString", 0, "@Override\npublic String toString() {\n    return name;\n}")
row("search/replace mismatch then nothing usable", f"<<<<<<< SEARCH\n    return x;\n=======\n    return y;\n>>>>>>> REPLACE", "add", 2, None, original=ADD_BUG)
row("portuguese placeholder", f"{F}java\npublic int add(int a, int b) {{\n    // resto do código inalterado\n    return a + b;\n}}\n{F}", "add", 2, None)
row("empty reply", "   ", "add", 2, None)
row("two different answers: the first wins", f"One option:\n{F}java\n{ADD}\n{F}\nOr:\n{F}java\npublic int add(int a, int b) {{\n    return b + a;\n}}\n{F}", "add", 2, ADD)
row("bold markdown around fence", f"**Fixed code:**\n\n{F}java\n{GCD}\n{F}\n\n**Explanation:** use `Math.abs`.", "gcd", 2, GCD)
row("gemma end_of_turn", f"<start_of_turn>model\n{F}java\n{ADD}\n{F}<end_of_turn>", "add", 2, ADD)
# chunks
row("chunk fenced", f"{F}java\nreturn Math.abs(a);\n{F}", None, None, "return Math.abs(a);", kind="chunk")
row("chunk unfenced with prose", "The missing line is:\nreturn Math.abs(a);\nThis handles negative inputs.", None, None, "return Math.abs(a);", kind="chunk")
row("chunk echo then answer", f"{F}java\nwhile (b != 0) {{\n    <FILL_ME>\n}}\n{F}\nAnswer:\n{F}java\nint t = b;\nb = a % b;\na = t;\n{F}", None, None, "int t = b;\nb = a % b;\na = t;", kind="chunk")
row("chunk special token", "if (a <= b) {<|endoftext|>xyz", None, None, "if (a <= b) {", kind="chunk")
row("chunk unbalanced else", f"{F}java\n}} else if (x > 0) {{\n{F}", None, None, "} else if (x > 0) {", kind="chunk")
row("chunk inline", "Replace the hole with `sum += arr[i];` and it passes.", None, None, "sum += arr[i];", kind="chunk")
row("chunk prose only", "I am not able to fill this in.", None, None, None, kind="chunk")
row("chunk placeholder", f"{F}java\n// ... same as before\n{F}", None, None, None, kind="chunk")
row("chunk reply is whole method", f"{F}java\n{ADD}\n{F}", None, None, ADD, kind="chunk")
row("chunk chinese prose", "应该填入：\nreturn a + b;\n", None, None, "return a + b;", kind="chunk")

with open(str(__import__("pathlib").Path(__file__).with_name("replies.jsonl")), "w") as f:
    for r in rows:
        f.write(json.dumps(r, ensure_ascii=False) + "\n")
print(len(rows), sum(r["kind"] == "method" for r in rows))

# rows added after probing failures / edge cases
more = []
def row2(*a, **k):
    row(*a, **k)
row2("closing fence on the code line", f"{F}java\n{ADD}{F}", "add", 2, ADD)
row2("prompt echo as class then fixed method", f"Given:\n{F}java\nclass Calc {{\n{ind(ADD_BUG, 4)}\n}}\n{F}\nFix:\n{F}java\n{ADD}\n{F}", "add", 2, ADD, original=ADD_BUG)
row2("lambda and anonymous class with braces in strings",
     f"{F}java\npublic int add(int a, int b) {{\n    Runnable r = () -> {{ System.out.println(\"}}\"); }};\n    return a + b;\n}}\n{F}", "add", 2,
     "public int add(int a, int b) {\n    Runnable r = () -> { System.out.println(\"}\"); };\n    return a + b;\n}")
row2("signature in inline code then unfenced method", f"The method `add(int a, int b)` should be:\n{ADD}\n", "add", 2, ADD)
row2("bullet list then unfenced code", f"- Fixed off by one\n- Kept signature\n\n{ADD}", "add", 2, ADD)
row2("numbered listing", f"{F}java\n1 public int add(int a, int b) {{\n2     return a + b;\n3 }}\n{F}", "add", 2, ADD)
row2("char literal braces", f"{F}java\nchar f(char c) {{\n    if (c == '{{') return '}}';\n    return c;\n}}\n{F}", "f", 1, "char f(char c) {\n    if (c == '{') return '}';\n    return c;\n}")
row2("text block with braces", f"{F}java\nString f() {{\n    return \"\"\"\n        {{hi}}\n        \"\"\";\n}}\n{F}", "f", 0, "String f() {\n    return \"\"\"\n        {hi}\n        \"\"\";\n}")
# held-out rows written later without looking at the extractor (realistic model styles)
BS = ("public static int indexOf(int[] a, int key) {\n    int lo = 0, hi = a.length - 1;\n    while (lo <= hi) {\n"
      "        int mid = (lo + hi) >>> 1;\n        if (a[mid] < key) {\n            lo = mid + 1;\n"
      "        } else if (a[mid] > key) {\n            hi = mid - 1;\n        } else {\n            return mid;\n"
      "        }\n    }\n    return -1;\n}")
BS_BUG = BS.replace("lo = mid + 1", "lo = mid")
def row3(note, reply, expected=BS):
    row(note, reply, "indexOf", 2, expected, original=BS_BUG)
row3("before/after sections, fixed last", f"The problem is that `lo` never advances.\n\n**Before:**\n{F}java\n{BS_BUG}\n{F}\n\n**After:**\n{F}java\n{BS}\n{F}\n")
row3("codellama [INST] prompt echoed unfenced", f"[INST] Fix the bug in this method:\n{BS_BUG} [/INST]\n{F}java\n{BS}\n{F}</s>")
row3("think block with a draft", f"<think>\nMaybe lo = mid? no, that loops.\n{F}java\n{BS_BUG}\n{F}\n</think>\nHere is the corrected version:\n{F}java\n{BS}\n{F}")
row3("numbered explanation after code", f"{F}java\n{BS}\n{F}\n1. `lo = mid + 1` ensures progress.\n2. Loop terminates because `hi - lo` shrinks.")
row3("fixed method then a test block", f"Fixed method:\n{F}java\n{BS}\n{F}\nAnd a test to confirm:\n{F}java\n@Test\npublic void testIndexOf() {{\n    assertEquals(2, BinarySearch.indexOf(new int[]{{1,2,3}}, 3));\n}}\n{F}")
row3("javadoc before the method", f"{F}java\n/**\n * Binary search.\n */\n{BS}\n{F}")
row3("markdown indented code block", "Replace it with:\n\n" + ind(BS, 4) + "\n\nThis should fix the infinite loop.")
row3("portuguese prose around", f"Aqui está o método corrigido:\n{F}java\n{BS}\n{F}\nO problema era que `lo` não avançava.")
row3("whole class with main", f"{F}java\npublic class BinarySearch {{\n{ind(BS, 4)}\n\n    public static void main(String[] args) {{\n        System.out.println(indexOf(new int[]{{1, 2, 3}}, 3));\n    }}\n}}\n{F}")
row3("headings and bullets", f"### Fixed code\n\n{F}java\n{BS}\n{F}\n\n### Why\n- off-by-one in the update of `lo`")
row3("explanation cut off after code", f"{F}java\n{BS}\n{F}\n\nThe key change is in the line where we upd")
row3("explanation only, code in words", "The bug is that `lo = mid` should be `lo = mid + 1`, otherwise the loop never terminates.", None)
row3("original echoed unchanged (extracted as is; validation judges it)", f"Your method:\n{F}java\n{BS_BUG}\n{F}\nI cannot see a bug here.", BS_BUG)
# issue 13: one row per failure class seen on real replies (each fixed by a rule, see extractors/code.py)
BC = "public static int bitcount(int n) {\n    int count = 0;\n    while (n != 0) {\n        n = (n & (n - 1));\n        count++;\n    }\n    return count;\n}"
BC_BUG = BC.replace("n & (n - 1)", "n ^ (n - 1)")
BC_LONG = "public static int bitcount(long n) {\n    return Long.bitCount(n);\n}"
row("overload added after the target: chosen by parameter types",
    f"{F}java\n{BC}\n\n{BC_LONG}\n{F}", "bitcount", 1, BC, original=BC_BUG)
row("overload added before the target: chosen by parameter types",
    f"{F}java\n{BC_LONG}\n\n{BC}\n{F}", "bitcount", 1, BC, original=BC_BUG)
row("closing fence indented with the code (list item)",
    f"1. Replace the method:\n\n    {F}java\n{ind(BC, 4)}\n    {F}\n\n2. Run the tests again.\n\n{F}java\n{BC_BUG}\n{F}",
    "bitcount", 1, BC, original=BC_BUG)
row("ranked answers: the first (most likely) is taken",
    f"Patch 1:\n{F}java\n{BC}\n{F}\nPatch 2:\n{F}java\n{BC.replace('count++', 'count += 1')}\n{F}\n"
    f"Patch 3:\n{F}java\n{BC.replace('n != 0', 'n > 0')}\n{F}", "bitcount", 1, BC, original=BC_BUG)
row("renamed method (snake_case to camelCase), same parameter types",
    f"{F}java\n{BC.replace('bitcount', 'bitCount')}\n{F}", "bit_count", 1, BC.replace("bitcount", "bitCount"),
    original=BC_BUG.replace("bitcount", "bit_count"))
row("renamed method with other parameter types is not taken",
    f"{F}java\n{BC_LONG.replace('bitcount', 'bitCount')}\n{F}", "bitcount", 1, None, original=BC_BUG)
row("python doctest in a python fence is not Java",
    f"{F}python\n>>> bitcount(127)\n7\n>>> def bitcount(n):\n...     return bin(n).count('1')\n{F}",
    "bitcount", 1, None, original=BC_BUG)
row("lone surrogate in the reply (valid JSON escape)",
    f"Fixed \ud800 version:\n{F}java\n{BC}\n{F}", "bitcount", 1, BC, original=BC_BUG)
row("tilde fence with a backtick fence inside the prose",
    f"~~~java\n{BC}\n~~~\nThen run ```mvn test```.", "bitcount", 1, BC, original=BC_BUG)
row("unterminated last fence (reply cut after the code)",
    f"Here:\n{F}java\n{BC}\n", "bitcount", 1, BC, original=BC_BUG)
row("same name, other arity only: not a replacement",
    f"{F}java\npublic static int bitcount(int n, int width) {{\n    return Integer.bitCount(n & ((1 << width) - 1));\n}}\n{F}",
    "bitcount", 1, None, original=BC_BUG)
row("chunk: case groups of a switch",
    f"{F}java\ncase 1:\n    return \"one\";\ncase 2:\n    return \"two\";\ndefault:\n    return \"many\";\n{F}", None, None,
    'case 1:\n    return "one";\ncase 2:\n    return "two";\ndefault:\n    return "many";', kind="chunk")
row("chunk: an expression (condition of the buggy if)", f"{F}java\nlo <= hi && a[mid] != key\n{F}", None, None,
    "lo <= hi && a[mid] != key", kind="chunk")
row("chunk: arrow case of a switch", f"{F}java\ncase 'a', 'e' -> vowels++;\n{F}", None, None,
    "case 'a', 'e' -> vowels++;", kind="chunk")
with open(str(__import__("pathlib").Path(__file__).with_name("replies.jsonl")), "w") as f:
    for r in rows:
        f.write(json.dumps(r, ensure_ascii="\ud800" in r["reply"]) + "\n")  # a lone surrogate only as an escape
print(len(rows))
