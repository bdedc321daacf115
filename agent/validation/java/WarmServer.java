import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.security.Permission;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TimeZone;
import java.util.TreeMap;
import java.util.TreeSet;

import javax.lang.model.element.AnnotationMirror;
import javax.lang.model.element.Element;
import javax.lang.model.element.ElementKind;
import javax.lang.model.element.ExecutableElement;
import javax.lang.model.element.TypeElement;
import javax.lang.model.element.TypeParameterElement;
import javax.lang.model.element.VariableElement;
import javax.tools.FileObject;
import javax.tools.ForwardingJavaFileManager;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileManager;
import javax.tools.JavaFileObject;
import javax.tools.SimpleJavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.StandardLocation;
import javax.tools.ToolProvider;

import com.sun.source.util.JavacTask;
import com.sun.source.util.TaskEvent;
import com.sun.source.util.TaskListener;


/**
 * A warm compile-and-test server: JSON lines on stdin/stdout, one request at a time.
 *
 * Requests ({"op": ...}):
 *   prepare  {key, file, sources[], classpath[], out, javac_options[]}: compile the original project (sources +
 *            tests) into the directory out once, with the bug's javac options; remember the API fingerprint and
 *            class names of the buggy file.
 *   validate {key, source, failing[], tests[], timeout, isolation, exclude[], tests_only}: compile the patched
 *            buggy file in memory
 *            against the prebuilt classes (the whole project in memory when its API differs from the
 *            original, and javac's own diagnostics of the whole project when it does not compile), then run
 *            the failing tests (fail fast) and, when they pass, the test classes, each phase (or each test
 *            class with isolation "class") in a fresh class loader, by RepairRunner's own loop (one request per
 *            class, a watchdog, non-daemon threads), printing RepairRunner's report.
 *   ping
 * Responses: {"id", "ok", ...}; "restart": true asks the client to replace this process (a test thread is
 * stuck or a test left threads running). Tests cannot use the protocol streams: System.in is empty and
 * System.out/err are captured per request; System.exit/halt is intercepted (a security manager: the JVM runs
 * with -Djava.security.manager=allow on Java 12-23; Java 11 needs no flag) and reported like a JVM that exited.
 * Java 24+ cannot install one ("ping" answers exit_guard: false): a test calling System.exit ends this server.
 * The working directory is the process's: the client starts the server in the project's root.
 */
public final class WarmServer {
    static final JavaCompiler JAVAC = ToolProvider.getSystemJavaCompiler();
    static final Map<String, Prepared> PREPARED = new HashMap<>();
    static final Capture CAPTURE = new Capture(1 << 20);
    static final ExitGuard GUARD = new ExitGuard();
    static boolean guarded;

    static final class Prepared {
        String file;
        List<String> sources;
        List<String> classpath;
        List<String> options;
        File out;
        String fingerprint; // null: the original did not compile, so every candidate compiles the whole project
        Set<String> tops = new TreeSet<>();
    }

    public static void main(String[] args) throws Exception {
        PrintStream proto = new PrintStream(new FileOutputStream(FileDescriptor.out), true, "UTF-8");
        BufferedReader in = new BufferedReader(new InputStreamReader(new FileInputStream(FileDescriptor.in),
                StandardCharsets.UTF_8));
        System.setIn(new ByteArrayInputStream(new byte[0]));
        PrintStream cap = new PrintStream(CAPTURE, true, "UTF-8");
        System.setOut(cap);
        System.setErr(cap);
        try {
            System.setSecurityManager(GUARD);
            guarded = true;
        } catch (UnsupportedOperationException | SecurityException e) {
            guarded = false;
        }
        String line;
        while ((line = in.readLine()) != null) {
            if (line.isBlank()) continue;
            Map<String, Object> resp;
            Object id = null;
            try {
                @SuppressWarnings("unchecked")
                Map<String, Object> req = (Map<String, Object>) Json.parse(line);
                id = req.get("id");
                resp = handle(req);
            } catch (Throwable e) {
                resp = new LinkedHashMap<>();
                resp.put("ok", false);
                resp.put("error", trace(e));
            }
            resp.put("id", id);
            proto.println(Json.write(resp));
            proto.flush();
            if ("shutdown".equals(resp.get("op"))) break;
        }
        GUARD.allow = true;
        Runtime.getRuntime().halt(0); // stuck test threads must not keep this JVM alive
    }

    static Map<String, Object> handle(Map<String, Object> req) throws Exception {
        String op = (String) req.get("op");
        Map<String, Object> resp = new LinkedHashMap<>();
        resp.put("ok", true);
        if ("ping".equals(op)) {
            resp.put("exit_guard", guarded);
            resp.put("java", System.getProperty("java.version"));
            resp.put("javac", JAVAC != null);
            return resp;
        }
        if ("shutdown".equals(op)) {
            resp.put("op", "shutdown");
            return resp;
        }
        if ("prepare".equals(op)) return prepare(req, resp);
        if ("validate".equals(op)) return validate(req, resp);
        throw new IllegalArgumentException("unknown op " + op);
    }

    // ------------------------------------------------------------------------------------------- compile
    static final class Compiled {
        boolean ok;
        String output;
        Map<String, byte[]> classes = new HashMap<>();
        Map<String, String> fingerprints = new TreeMap<>();
    }

    static final class MemorySource extends SimpleJavaFileObject {
        final String text;

        MemorySource(String path, String text) {
            super(new File(path).getAbsoluteFile().toURI(), Kind.SOURCE);
            this.text = text;
        }

        @Override
        public CharSequence getCharContent(boolean ignore) {
            return text;
        }
    }

    static final class MemoryOutput extends ForwardingJavaFileManager<StandardJavaFileManager> {
        final Map<String, byte[]> classes;

        MemoryOutput(StandardJavaFileManager fm, Map<String, byte[]> classes) {
            super(fm);
            this.classes = classes;
        }

        @Override
        public JavaFileObject getJavaFileForOutput(Location loc, String name, JavaFileObject.Kind kind,
                                                   FileObject sibling) {
            return new SimpleJavaFileObject(URI.create("mem:///" + name.replace('.', '/') + kind.extension), kind) {
                @Override
                public OutputStream openOutputStream() {
                    return new ByteArrayOutputStream() {
                        @Override
                        public void close() {
                            classes.put(name, toByteArray());
                        }
                    };
                }
            };
        }
    }

    static String uriPath(JavaFileObject f) {
        return f == null ? "" : new File(f.toUri()).getAbsolutePath();
    }

    /** The source encoding named by the javac options (-encoding X), else UTF-8. */
    static Charset charset(List<String> options) {
        int i = options.indexOf("-encoding");
        return i >= 0 && i + 1 < options.size() ? Charset.forName(options.get(i + 1)) : StandardCharsets.UTF_8;
    }

    /**
     * One javac run with FreshValidator's options (the bug's javac options, given by the client), diagnostics
     * printed by javac itself (the command-line text format); classes to out (a directory) or to memory (out ==
     * null). The API fingerprint of every type declared in fingerprintFile is recorded as it is analysed.
     */
    static Compiled compile(List<JavaFileObject> units, List<String> classpath, List<String> options, File out,
                            String fingerprintFile) throws Exception {
        Compiled c = new Compiled();
        StringWriter diag = new StringWriter();
        StandardJavaFileManager std = JAVAC.getStandardFileManager(null, Locale.getDefault(), charset(options));
        JavaFileManager fm = std;
        List<String> opts = new ArrayList<>(options);
        opts.add("-cp");
        opts.add(String.join(File.pathSeparator, classpath));
        if (out != null) {
            out.mkdirs();
            opts.add("-d");
            opts.add(out.getPath());
        } else {
            fm = new MemoryOutput(std, c.classes);
        }
        JavacTask task = (JavacTask) JAVAC.getTask(new PrintWriter(diag), fm, null, opts, null, units);
        String target = fingerprintFile == null ? null : new File(fingerprintFile).getAbsolutePath();
        task.addTaskListener(new TaskListener() {
            @Override
            public void finished(TaskEvent e) {
                if (e.getKind() == TaskEvent.Kind.ANALYZE && target != null && e.getTypeElement() != null
                        && target.equals(uriPath(e.getSourceFile()))) {
                    TypeElement t = e.getTypeElement();
                    StringBuilder sb = new StringBuilder();
                    fingerprint(t, sb);
                    c.fingerprints.put(t.getQualifiedName().toString(), sb.toString());
                }
            }
        });
        c.ok = Boolean.TRUE.equals(task.call());
        c.output = diag.toString();
        std.close();
        return c;
    }

    /** Everything about a type that other files compile against: members, signatures, constants, supertypes. */
    static void fingerprint(Element e, StringBuilder sb) {
        sb.append(e.getKind()).append(' ').append(e.getModifiers()).append(' ').append(e.getSimpleName());
        for (AnnotationMirror a : e.getAnnotationMirrors()) sb.append(" @").append(a);
        if (e instanceof TypeElement) {
            TypeElement t = (TypeElement) e;
            sb.append(" extends ").append(t.getSuperclass()).append(" implements ").append(t.getInterfaces());
            for (TypeParameterElement p : t.getTypeParameters()) sb.append(" <").append(p).append(p.getBounds());
            sb.append(" {\n");
            for (Element m : t.getEnclosedElements()) fingerprint(m, sb);
            sb.append("}\n");
        } else if (e instanceof ExecutableElement) {
            ExecutableElement x = (ExecutableElement) e;
            sb.append(' ').append(x.asType()).append(" throws ").append(x.getThrownTypes())
                    .append(" varargs=").append(x.isVarArgs()).append(" default=").append(x.getDefaultValue());
            for (TypeParameterElement p : x.getTypeParameters()) sb.append(" <").append(p).append(p.getBounds());
            sb.append('\n');
        } else if (e instanceof VariableElement) {
            Object v = ((VariableElement) e).getConstantValue();
            sb.append(' ').append(e.asType()).append(" = ").append(v == null ? "" : Json.write(v.toString()))
                    .append('\n');
        } else {
            sb.append(' ').append(e.asType()).append('\n');
        }
    }

    static String joined(Map<String, String> fingerprints) {
        StringBuilder sb = new StringBuilder();
        for (String v : fingerprints.values()) sb.append(v);
        return sb.toString();
    }

    static Map<String, Object> prepare(Map<String, Object> req, Map<String, Object> resp) throws Exception {
        Prepared p = new Prepared();
        p.file = new File((String) req.get("file")).getAbsolutePath();
        p.sources = strings(req.get("sources"));
        p.classpath = strings(req.get("classpath"));
        p.options = strings(req.get("javac_options"));
        p.out = new File((String) req.get("out"));
        if (JAVAC == null) throw new IllegalStateException("this Java runtime has no compiler (a JRE?)");
        StandardJavaFileManager std = JAVAC.getStandardFileManager(null, null, charset(p.options));
        List<JavaFileObject> units = new ArrayList<>();
        for (JavaFileObject f : std.getJavaFileObjectsFromStrings(p.sources)) units.add(f);
        Compiled c = compile(units, p.classpath, p.options, p.out, p.file);
        if (c.ok) {
            p.fingerprint = joined(c.fingerprints);
            p.tops.addAll(c.fingerprints.keySet()); // ANALYZE events come for top-level types only
        }
        PREPARED.put((String) req.get("key"), p);
        resp.put("compiled", c.ok);
        resp.put("output", c.output);
        return resp;
    }

    // ------------------------------------------------------------------------------------------- validate
    static Map<String, Object> validate(Map<String, Object> req, Map<String, Object> resp) throws Exception {
        Prepared p = PREPARED.get((String) req.get("key"));
        if (p == null) throw new IllegalStateException("not prepared: " + req.get("key"));
        long start = System.nanoTime();
        String source = (String) req.get("source");
        Compiled c = null;
        String mode = "full";
        if (p.fingerprint != null) {
            List<String> cp = new ArrayList<>();
            cp.add(p.out.getPath());
            cp.addAll(p.classpath);
            c = compile(List.of(new MemorySource(p.file, source)), cp, p.options, null, p.file);
            mode = c.ok && p.fingerprint.equals(joined(c.fingerprints)) ? "fast" : "full";
        }
        if (mode.equals("full")) {
            // the API changed or it does not compile: javac over the whole project, as FreshValidator runs it
            StandardJavaFileManager std = JAVAC.getStandardFileManager(null, null, charset(p.options));
            List<JavaFileObject> units = new ArrayList<>();
            for (String s : p.sources) {
                if (new File(s).getAbsolutePath().equals(p.file)) units.add(new MemorySource(p.file, source));
                else for (JavaFileObject f : std.getJavaFileObjectsFromStrings(List.of(s))) units.add(f);
            }
            c = compile(units, p.classpath, p.options, null, null);
        }
        resp.put("mode", mode);
        resp.put("compile_seconds", (System.nanoTime() - start) / 1e9);
        resp.put("compiled", c.ok);
        if (!c.ok) {
            resp.put("output", c.output);
            return resp;
        }
        List<URL> urls = new ArrayList<>();
        if (mode.equals("fast")) urls.add(p.out.toURI().toURL());
        for (String e : p.classpath) urls.add(new File(e).toURI().toURL());
        Set<String> hidden = mode.equals("fast") ? p.tops : Set.of();
        Map<String, byte[]> classes = c.classes;
        RepairRunner.Options opts = new RepairRunner.Options();
        opts.timeout = ((Number) req.get("timeout")).doubleValue();
        opts.testsOnly = Boolean.TRUE.equals(req.get("tests_only"));
        opts.exclude.addAll(strings(req.get("exclude")));
        boolean perClass = "class".equals(req.get("isolation"));
        Loaders loaders = new Loaders(urls.toArray(new URL[0]), classes, hidden, perClass);

        Properties props = (Properties) System.getProperties().clone();
        Locale locale = Locale.getDefault();
        TimeZone zone = TimeZone.getDefault();
        ThreadGroup group = new ThreadGroup("repairchat-candidate");
        Run first;
        Run rest = null;
        try {
            opts.failFast = true;
            first = run(strings(req.get("failing")), opts, loaders, group);
            opts.failFast = false;
            if (first.exitCode == 0 && !first.stuck) rest = run(strings(req.get("tests")), opts, loaders, group);
        } finally {
            System.setProperties(props);
            Locale.setDefault(locale);
            TimeZone.setDefault(zone);
            // processes the candidate started (the server starts none itself): none outlives its request
            ProcessHandle.current().descendants().forEach(ProcessHandle::destroyForcibly);
        }
        Run last = rest == null ? first : rest;
        resp.put("phase", rest == null ? "failing" : "all");
        resp.put("exit", last.exitCode);
        resp.put("output", last.output);
        resp.put("restart", first.stuck || (rest != null && rest.stuck) || lingering(group));
        return resp;
    }

    /** Threads the tests started that still run (after a short grace): this JVM is no longer clean. */
    static boolean lingering(ThreadGroup group) throws InterruptedException {
        long deadline = System.nanoTime() + 200_000_000L;
        while (group.activeCount() > 0 && System.nanoTime() < deadline) Thread.sleep(5);
        return group.activeCount() > 0;
    }

    /** Fresh class loaders over the candidate's classes: one per test phase, or one per test class. */
    static final class Loaders {
        final URL[] urls;
        final Map<String, byte[]> classes;
        final Set<String> hidden;
        final boolean perClass;
        final Map<String, ClassLoader> byClass = new HashMap<>();

        Loaders(URL[] urls, Map<String, byte[]> classes, Set<String> hidden, boolean perClass) {
            this.urls = urls;
            this.classes = classes;
            this.hidden = hidden;
            this.perClass = perClass;
        }

        ClassLoader phase() {
            byClass.clear();
            return perClass ? null : fresh();
        }

        ClassLoader forClass(ClassLoader phase, String cls) {
            return phase != null ? phase : byClass.computeIfAbsent(cls, k -> fresh());
        }

        ClassLoader fresh() {
            return new CandidateLoader(urls, classes, hidden, WarmServer.class.getClassLoader());
        }
    }

    /** Patched classes from memory; the buggy file's original classes hidden; the rest from the prebuilt dir. */
    static final class CandidateLoader extends URLClassLoader {
        final Map<String, byte[]> classes;
        final Set<String> hidden;

        CandidateLoader(URL[] urls, Map<String, byte[]> classes, Set<String> hidden, ClassLoader parent) {
            super(urls, parent);
            this.classes = classes;
            this.hidden = hidden;
        }

        boolean isHidden(String name) {
            for (String top : hidden) if (name.equals(top) || name.startsWith(top + "$")) return true;
            return false;
        }

        @Override
        protected Class<?> findClass(String name) throws ClassNotFoundException {
            byte[] b = classes.get(name);
            if (b != null) return defineClass(name, b, 0, b.length);
            if (isHidden(name)) throw new ClassNotFoundException(name);
            return super.findClass(name);
        }

        @Override
        public URL findResource(String name) {
            if (name.endsWith(".class") && isHidden(name.substring(0, name.length() - 6).replace('/', '.'))) return null;
            return super.findResource(name);
        }
    }

    // ------------------------------------------------------------------------------------------- run tests
    static final class Run {
        int exitCode;
        String output;
        boolean stuck;
    }

    /** RepairRunner's loop and report, in this JVM, with System.exit/halt intercepted. */
    static Run run(List<String> specs, RepairRunner.Options opts, Loaders loaders, ThreadGroup group)
            throws Exception {
        CAPTURE.reset();
        GUARD.exitStatus = null;
        GUARD.active = true;
        ClassLoader phase = loaders.phase();
        Run r = new Run();
        RepairRunner.Outcome o;
        try {
            o = RepairRunner.run(specs, opts, cls -> loaders.forClass(phase, cls), group,
                    () -> GUARD.exitStatus != null);
        } finally {
            GUARD.active = false;
        }
        r.stuck = o.stuck;
        if (o.aborted) {
            // the code called System.exit/halt: report what a fresh JVM would (its output so far)
            r.exitCode = GUARD.exitStatus;
            r.output = CAPTURE.text();
            return r;
        }
        StringBuilder out = new StringBuilder(CAPTURE.text());
        for (String sk : o.skipped) out.append("REPAIRCHAT-SKIP ").append(sk).append('\n');
        for (String c : o.classes) out.append("REPAIRCHAT-TESTCLASS ").append(c).append('\n');
        out.append(RepairRunner.report(o, opts.timeout));
        r.exitCode = o.failures.isEmpty() && o.timedOut == null ? 0 : 1;
        r.output = out.toString();
        return r;
    }

    // ------------------------------------------------------------------------------------------- plumbing
    /** Intercepts System.exit/Runtime.halt while tests run; allows everything else. */
    static final class ExitGuard extends SecurityManager {
        volatile boolean active;
        volatile boolean allow;
        volatile Integer exitStatus;

        @Override
        public void checkPermission(Permission perm) {
        }

        @Override
        public void checkPermission(Permission perm, Object context) {
        }

        @Override
        public void checkExit(int status) {
            if (allow) return;
            if (active && exitStatus == null) exitStatus = status;
            throw new SecurityException("repairchat: System.exit(" + status + ") intercepted");
        }
    }

    /** The tests' stdout/stderr for the current request, bounded. */
    static final class Capture extends OutputStream {
        final int limit;
        private final ByteArrayOutputStream buf = new ByteArrayOutputStream();

        Capture(int limit) {
            this.limit = limit;
        }

        @Override
        public synchronized void write(int b) {
            if (buf.size() < limit) buf.write(b);
        }

        @Override
        public synchronized void write(byte[] b, int off, int len) {
            buf.write(b, off, Math.max(0, Math.min(len, limit - buf.size())));
        }

        synchronized void reset() {
            buf.reset();
        }

        synchronized String text() {
            return new String(buf.toByteArray(), StandardCharsets.UTF_8);
        }
    }

    static List<String> strings(Object o) {
        List<String> out = new ArrayList<>();
        if (o != null) for (Object x : (List<?>) o) out.add((String) x);
        return out;
    }

    static String trace(Throwable e) {
        StringWriter w = new StringWriter();
        e.printStackTrace(new PrintWriter(w));
        return w.toString();
    }
}
