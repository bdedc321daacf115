import java.io.File;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.lang.annotation.Annotation;
import java.lang.reflect.AnnotatedElement;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.net.URL;
import java.net.URLClassLoader;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.function.Function;

import org.junit.runner.Description;
import org.junit.runner.JUnitCore;
import org.junit.runner.Request;
import org.junit.runner.Result;
import org.junit.runner.RunWith;
import org.junit.runner.manipulation.Filter;
import org.junit.runner.notification.Failure;
import org.junit.runner.notification.RunListener;

/**
 * Runs JUnit 4 (and 3) tests, and JUnit 5 (Jupiter) tests through the JUnit Platform launcher, as a build tool
 * does and prints JUnitCore's text format.
 *
 * Usage: RepairRunner [--timeout SECONDS] [--fail-fast] [--tests-only] [--exclude Class::method]...
 *                     [--record FILE --isolate CLASSPATH] SPEC...
 * SPEC is pkg.Class or pkg.Class::method. Every test class runs as ONE JUnit request (class rules and
 * {@code @BeforeClass} once; the methods named for a class are filtered from that one request) in a non-daemon
 * thread, while a watchdog gives each test (and each class's set-up) its own timeout. With --tests-only, a
 * class that JUnit would not treat as a test class (abstract, an interface, no {@code @RunWith}, no JUnit 3
 * {@code TestCase}/suite(), no {@code @org.junit.Test} method up its superclasses) is skipped with a line
 * "REPAIRCHAT-SKIP pkg.Class reason". A class with Jupiter tests ({@code @Test}, {@code @ParameterizedTest},
 * {@code @TestFactory}, {@code @RepeatedTest}, {@code @TestTemplate}, meta-annotations, superclasses, interfaces,
 * {@code @Nested} classes) and none that JUnit 4 would run goes through the JUnit Platform (JupiterRunner, built
 * in only when the platform jars are there), in the same thread, watchdog and report: a failure is printed as
 * JUnit 4 prints one ("1) method(pkg.Class)", "method[N]" for the N-th invocation of a parameterised, repeated
 * or dynamic test, "initializationError" for a class whose set-up failed). --exclude drops tests (known broken ones). --record runs every class in
 * its own class loader over --isolate's classpath and writes "TestClass<TAB>loaded class names" lines to FILE
 * (which project classes each test class reaches), and "REPAIRCHAT-TESTCLASS pkg.Class" per class it ran.
 * Extra report lines: "REPAIRCHAT-TIMEOUT pkg.Class::method SECONDS" for a test over its time (the run then
 * stops), and a last line "REPAIRCHAT-RESULT run=N failures=M timeouts=T". Exit code 0 when everything passed.
 */
public final class RepairRunner {
    /** How a run is done; shared with the warm server. */
    static final class Options {
        double timeout = 10.0;
        boolean failFast;
        boolean testsOnly;
        Set<String> exclude = new LinkedHashSet<>();
    }

    /** What one test class's run gave, whichever engine ran it. */
    static final class ClassRun {
        int run;
        List<Failure> failures = new ArrayList<>();
    }

    /** A second test engine: JupiterRunner (the JUnit Platform), present only when it could be compiled. */
    interface Engine {
        ClassRun run(Class<?> c, Set<String> methods, Set<String> exclude, Watch watch);
    }

    static final Engine JUPITER = loadJupiter();

    static Engine loadJupiter() {
        try {
            return (Engine) Class.forName("JupiterRunner", true, RepairRunner.class.getClassLoader())
                    .getDeclaredConstructor().newInstance();
        } catch (ReflectiveOperationException | LinkageError e) {
            return null; // built without the JUnit Platform jars, or they are not on the classpath
        }
    }

    /** What a run found. */
    static final class Outcome {
        int run;
        List<Failure> failures = new ArrayList<>();
        List<String> skipped = new ArrayList<>();
        List<String> classes = new ArrayList<>();
        String timedOut;
        boolean stuck; // a test thread was still running when the run stopped
        boolean aborted; // abort() said stop (the warm server: System.exit was called)
        long nanos;
    }

    public static void main(String[] args) throws Exception {
        Options o = new Options();
        List<String> specs = new ArrayList<>();
        String record = null;
        String isolate = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--timeout": o.timeout = Double.parseDouble(args[++i]); break;
                case "--fail-fast": o.failFast = true; break;
                case "--tests-only": o.testsOnly = true; break;
                case "--exclude": o.exclude.add(args[++i]); break;
                case "--record": record = args[++i]; break;
                case "--isolate": isolate = args[++i]; break;
                default: specs.add(args[i]);
            }
        }
        Function<String, ClassLoader> loaders = RepairRunner::ownLoader;
        Map<String, Recorder> recorders = new LinkedHashMap<>();
        if (isolate != null) {
            List<URL> urls = new ArrayList<>();
            for (String e : isolate.split(File.pathSeparator)) if (!e.isEmpty()) urls.add(new File(e).toURI().toURL());
            URL[] u = urls.toArray(new URL[0]);
            loaders = cls -> recorders.computeIfAbsent(cls, k -> new Recorder(u, RepairRunner.class.getClassLoader()));
        }
        PrintStream out = System.out;
        Outcome r = run(specs, o, loaders, Thread.currentThread().getThreadGroup(), () -> false);
        for (String s : r.skipped) out.println("REPAIRCHAT-SKIP " + s);
        for (String c : r.classes) out.println("REPAIRCHAT-TESTCLASS " + c);
        if (record != null) {
            try (PrintWriter w = new PrintWriter(record, "UTF-8")) {
                for (Map.Entry<String, Recorder> e : recorders.entrySet())
                    w.println(e.getKey() + "\t" + String.join(" ", e.getValue().loaded));
            }
        }
        out.print(report(r, o.timeout));
        out.flush();
        // halt, not exit: a stuck test thread or a hook must not keep this JVM (or its report) waiting
        Runtime.getRuntime().halt(r.failures.isEmpty() && r.timedOut == null ? 0 : 1);
    }

    static ClassLoader ownLoader(String className) {
        return RepairRunner.class.getClassLoader();
    }

    /** A class loader over the project's classes for one test class, remembering what it defined. */
    static final class Recorder extends URLClassLoader {
        final Set<String> loaded = new TreeSet<>();

        Recorder(URL[] urls, ClassLoader parent) {
            super(urls, parent);
        }

        @Override
        protected Class<?> findClass(String name) throws ClassNotFoundException {
            Class<?> c = super.findClass(name);
            synchronized (loaded) {
                loaded.add(name);
            }
            return c;
        }
    }

    /**
     * Keeps track of the running test, for the watchdog. Class-level work is named "Class::beforeClass" (building
     * the runner, class rules, {@code @BeforeClass}) and "Class::afterClass"; building the runner (which may run
     * user code such as Parameterized's data method, but also loads JUnit in a cold JVM) gets at least 30 s.
     */
    static final class Watch extends RunListener {
        final String cls;
        volatile String current;
        volatile long since = System.nanoTime();
        volatile boolean started;

        Watch(String cls) {
            this.cls = cls;
            current = cls + "::beforeClass";
        }

        boolean overdue(long limit) {
            long allowed = started ? limit : Math.max(limit, 30_000_000_000L);
            return System.nanoTime() - since > allowed;
        }

        /** The watched work is now {@code name} (another engine's test or class set-up). */
        void at(String name) {
            current = name;
            started = true;
            since = System.nanoTime();
        }

        @Override
        public void testRunStarted(Description d) {
            started = true;
            since = System.nanoTime();
        }

        @Override
        public void testStarted(Description d) {
            current = d.getClassName() + "::" + d.getMethodName();
            since = System.nanoTime();
        }

        @Override
        public void testFinished(Description d) {
            current = cls + "::afterClass";
            since = System.nanoTime();
        }
    }

    /**
     * Runs the specs, one JUnit request per test class (specs of one class are merged into one filtered request,
     * in order of first appearance), each in a non-daemon thread of {@code group} whose context class loader is
     * {@code loaderFor(class)}; stops at the first test over its timeout, when {@code abort} says so, or (fail
     * fast) after the first class with a failure.
     */
    static Outcome run(List<String> specs, Options o, Function<String, ClassLoader> loaderFor, ThreadGroup group,
                       BooleanSupplier abort) throws InterruptedException {
        Outcome r = new Outcome();
        long start = System.nanoTime();
        Map<String, Set<String>> byClass = new LinkedHashMap<>(); // class -> methods (empty: the whole class)
        for (String spec : specs) {
            int sep = spec.indexOf("::");
            String cls = sep < 0 ? spec : spec.substring(0, sep);
            Set<String> methods = byClass.get(cls);
            if (sep < 0) byClass.put(cls, new LinkedHashSet<>());
            else if (methods == null) byClass.put(cls, new LinkedHashSet<>(List.of(spec.substring(sep + 2))));
            else if (!methods.isEmpty()) methods.add(spec.substring(sep + 2));
        }
        long limit = (long) (o.timeout * 1e9);
        for (Map.Entry<String, Set<String>> e : byClass.entrySet()) {
            String cls = e.getKey();
            ClassLoader loader = loaderFor.apply(cls);
            Class<?> c;
            try {
                c = Class.forName(cls, false, loader);
            } catch (Throwable t) {
                r.failures.add(new Failure(Description.createTestDescription(cls, "initializationError"), t));
                if (o.failFast) break;
                continue;
            }
            if (o.testsOnly && e.getValue().isEmpty()) {
                String why = notATest(c);
                if (why != null) {
                    r.skipped.add(cls + " " + why);
                    continue;
                }
            }
            if (allExcluded(c, o.exclude)) {
                r.skipped.add(cls + " every test excluded");
                continue;
            }
            r.classes.add(cls);
            Set<String> methods = e.getValue();
            Watch watch = new Watch(cls);
            AtomicReference<ClassRun> result = new AtomicReference<>();
            Runnable body;
            if (onJupiter(c)) {
                body = () -> result.set(JUPITER != null ? JUPITER.run(c, methods, o.exclude, watch)
                        : noPlatform(cls));
            } else {
                Request request = request(c, methods, o.exclude);
                JUnitCore core = new JUnitCore();
                core.addListener(watch);
                body = () -> {
                    Result res = core.run(request);
                    ClassRun cr = new ClassRun();
                    cr.run = res.getRunCount();
                    cr.failures.addAll(res.getFailures());
                    result.set(cr);
                };
            }
            Thread t = new Thread(group, body, "repairchat-test");
            t.setDaemon(false); // threads the tests start inherit this, as under a build tool's main thread
            t.setContextClassLoader(loader);
            t.start();
            while (t.isAlive()) {
                t.join(20);
                if (abort.getAsBoolean()) {
                    r.aborted = true;
                    r.stuck = t.isAlive();
                    r.nanos = System.nanoTime() - start;
                    return r;
                }
                if (t.isAlive() && watch.overdue(limit)) {
                    r.timedOut = watch.current;
                    r.stuck = true;
                    r.run++;
                    r.nanos = System.nanoTime() - start;
                    return r;
                }
            }
            ClassRun res = result.get();
            if (res == null) { // the thread died outside JUnit (an Error escaped the runner)
                r.failures.add(new Failure(Description.createTestDescription(cls, "initializationError"),
                        new IllegalStateException("the test run of " + cls + " ended abnormally")));
            } else {
                r.run += res.run;
                r.failures.addAll(res.failures);
            }
            if (o.failFast && !r.failures.isEmpty()) break;
        }
        r.nanos = System.nanoTime() - start;
        return r;
    }

    /** A Jupiter test class without the platform: one failure that says what to install. */
    static ClassRun noPlatform(String cls) {
        ClassRun cr = new ClassRun();
        cr.failures.add(new Failure(Description.createTestDescription(cls, "initializationError"),
                new IllegalStateException("a JUnit 5 (Jupiter) test class, but the JUnit Platform is not on the "
                        + "classpath; install it with: apt-get install -y junit5")));
        return cr;
    }

    /** True when every test of {@code c} is excluded (JUnit would report "No tests found" instead of nothing). */
    static boolean allExcluded(Class<?> c, Set<String> exclude) {
        if (exclude.isEmpty() || onJupiter(c)) return false; // (Jupiter: its run filters them)
        boolean mentioned = false;
        for (String x : exclude) mentioned |= x.equals(c.getName()) || x.startsWith(c.getName() + "::");
        if (!mentioned) return false;
        try {
            return !new Excluded(exclude).shouldRun(Request.aClass(c).getRunner().getDescription());
        } catch (Throwable e) {
            return false;
        }
    }

    /** The one request for class {@code c}: all of it, or only {@code methods}; never the excluded tests. */
    static Request request(Class<?> c, Set<String> methods, Set<String> exclude) {
        Request req = Request.aClass(c);
        if (!methods.isEmpty()) req = req.filterWith(new Named(methods, true));
        if (!exclude.isEmpty()) req = req.filterWith(new Excluded(exclude));
        return req;
    }

    /** Tests named by method (a parameterised test "m[0]" counts as "m"). */
    static final class Named extends Filter {
        final Set<String> methods;
        final boolean keep;

        Named(Set<String> methods, boolean keep) {
            this.methods = methods;
            this.keep = keep;
        }

        static String base(String m) {
            int i = m == null ? -1 : m.indexOf('[');
            return i < 0 ? m : m.substring(0, i);
        }

        @Override
        public boolean shouldRun(Description d) {
            if (d.isTest()) return methods.contains(d.getMethodName()) || methods.contains(base(d.getMethodName()));
            for (Description child : d.getChildren()) if (shouldRun(child)) return true;
            return false;
        }

        @Override
        public String describe() {
            return "methods " + methods;
        }
    }

    /** Drops "Class::method" tests (and whole classes named alone). */
    static final class Excluded extends Filter {
        final Set<String> names;

        Excluded(Set<String> names) {
            this.names = names;
        }

        boolean excluded(Description d) {
            String m = d.getMethodName();
            return names.contains(d.getClassName()) || (m != null && (names.contains(d.getClassName() + "::" + m)
                    || names.contains(d.getClassName() + "::" + Named.base(m))));
        }

        @Override
        public boolean shouldRun(Description d) {
            if (d.isTest()) return !excluded(d);
            if (d.getChildren().isEmpty()) return true;
            for (Description child : d.getChildren()) if (shouldRun(child)) return true;
            return false;
        }

        @Override
        public String describe() {
            return "excluding " + names;
        }
    }

    /** Why neither JUnit 4's default builders nor Jupiter would run {@code c} as a test class, or null. */
    static String notATest(Class<?> c) {
        int m = c.getModifiers();
        if (c.isInterface()) return "interface";
        if (c.isAnnotation() || c.isEnum()) return "not a class";
        if (Modifier.isAbstract(m)) return "abstract";
        try {
            return junit4(c) || jupiter(c, new HashSet<>()) ? null : "no tests";
        } catch (LinkageError e) {
            return null; // let JUnit report what it cannot load
        }
    }

    /** Whether JUnit 4 runs {@code c}: {@code @RunWith}, JUnit 3 TestCase/suite(), {@code @org.junit.Test}. */
    static boolean junit4(Class<?> c) {
        if (c.isAnnotationPresent(RunWith.class)) return true;
        if (junit.framework.Test.class.isAssignableFrom(c)) return true; // JUnit 3 TestCase / TestSuite
        try {
            Method suite = c.getMethod("suite");
            if (Modifier.isStatic(suite.getModifiers())) return true;
        } catch (NoSuchMethodException | LinkageError ignored) {
            // no suite() method
        }
        for (Class<?> k = c; k != null && k != Object.class; k = k.getSuperclass())
            for (Method x : k.getDeclaredMethods()) if (x.isAnnotationPresent(org.junit.Test.class)) return true;
        return false;
    }

    /** Whether {@code c} goes through the JUnit Platform: Jupiter tests and nothing JUnit 4 would run. */
    static boolean onJupiter(Class<?> c) {
        try {
            return !junit4(c) && jupiter(c, new HashSet<>());
        } catch (LinkageError e) {
            return false;
        }
    }

    /** Jupiter's testable annotations (each of the others is meta-annotated with one of these, as may be a
     * project's own composed annotation). */
    static final Set<String> TESTABLE = Set.of("org.junit.jupiter.api.Test", "org.junit.jupiter.api.TestFactory",
            "org.junit.jupiter.api.TestTemplate", "org.junit.jupiter.api.RepeatedTest",
            "org.junit.jupiter.params.ParameterizedTest", "org.junit.platform.commons.annotation.Testable");

    static boolean testable(AnnotatedElement e, Set<Class<?>> seen) {
        for (Annotation a : e.getAnnotations()) {
            Class<?> type = a.annotationType();
            if (TESTABLE.contains(type.getName())) return true;
            if (!type.getName().startsWith("java.lang.") && seen.add(type) && testable(type, seen)) return true;
        }
        return false;
    }

    /** Whether {@code c} has Jupiter test methods (declared, inherited, interface defaults) or {@code @Nested}
     * classes that do. */
    static boolean jupiter(Class<?> c, Set<Class<?>> seen) {
        List<Class<?>> types = new ArrayList<>();
        for (Class<?> k = c; k != null && k != Object.class; k = k.getSuperclass()) {
            types.add(k);
            types.addAll(List.of(k.getInterfaces()));
        }
        for (Class<?> k : types)
            for (Method x : k.getDeclaredMethods()) if (testable(x, seen)) return true;
        for (Class<?> n : c.getDeclaredClasses()) {
            boolean nested = false;
            for (Annotation a : n.getAnnotations())
                nested |= a.annotationType().getName().equals("org.junit.jupiter.api.Nested");
            if (nested && !Modifier.isStatic(n.getModifiers()) && jupiter(n, seen)) return true;
        }
        return false;
    }

    /** JUnitCore's TextListener report, plus the REPAIRCHAT-TIMEOUT and REPAIRCHAT-RESULT lines. */
    static String report(Outcome r, double timeout) {
        StringBuilder out = new StringBuilder();
        out.append("\nTime: ").append(r.nanos / 1e9).append('\n');
        if (!r.failures.isEmpty()) {
            out.append(r.failures.size() == 1 ? "There was 1 failure:" : "There were " + r.failures.size()
                    + " failures:").append('\n');
            int i = 1;
            for (Failure f : r.failures) {
                out.append(i++).append(") ").append(f.getTestHeader()).append('\n');
                out.append(f.getTrace());
            }
        }
        if (r.timedOut != null) out.append("REPAIRCHAT-TIMEOUT ").append(r.timedOut).append(' ').append(timeout)
                .append('\n');
        out.append('\n');
        if (r.failures.isEmpty() && r.timedOut == null) out.append("OK (").append(r.run).append(" test")
                .append(r.run == 1 ? "" : "s").append(")\n");
        else out.append("FAILURES!!!\nTests run: ").append(r.run).append(",  Failures: ").append(r.failures.size())
                .append('\n');
        out.append("REPAIRCHAT-RESULT run=").append(r.run).append(" failures=").append(r.failures.size())
                .append(" timeouts=").append(r.timedOut == null ? 0 : 1).append('\n');
        return out.toString();
    }
}
