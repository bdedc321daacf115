import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import org.junit.jupiter.engine.JupiterTestEngine;
import org.junit.platform.engine.FilterResult;
import org.junit.platform.engine.TestDescriptor;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.TestSource;
import org.junit.platform.engine.UniqueId;
import org.junit.platform.engine.discovery.DiscoverySelectors;
import org.junit.platform.engine.support.descriptor.ClassSource;
import org.junit.platform.engine.support.descriptor.MethodSource;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.PostDiscoveryFilter;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.TestPlan;
import org.junit.platform.launcher.core.LauncherConfig;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.runner.Description;
import org.junit.runner.notification.Failure;

/**
 * RepairRunner's engine for JUnit 5 (Jupiter) test classes: one launcher request per class through the JUnit
 * Platform (so {@code @BeforeAll} runs once per class, {@code @Nested} classes inside it), in RepairRunner's test
 * thread, telling its watchdog which test (or class set-up) runs. Only the Jupiter engine is registered (a JUnit 4
 * class goes through JUnitCore; a vintage engine on the classpath is not used). Results come back as JUnit 4
 * {@code Failure}s, so the report is JUnitCore's: "method(pkg.Class)", "method[N](pkg.Class)" for the N-th
 * invocation of a parameterised, repeated or dynamic test, "initializationError(pkg.Class)" for a class whose
 * set-up ({@code @BeforeAll}, construction) failed. Skipped ({@code @Disabled}) and aborted (assumption) tests
 * are not failures, as under JUnit 4. Compiled only when the JUnit Platform jars are present.
 */
final class JupiterRunner implements RepairRunner.Engine {
    private static Launcher launcher;

    static synchronized Launcher launcher() {
        if (launcher == null) {
            launcher = LauncherFactory.create(LauncherConfig.builder()
                    .enableTestEngineAutoRegistration(false)
                    .enableTestExecutionListenerAutoRegistration(false)
                    .addTestEngines(new JupiterTestEngine())
                    .build());
        }
        return launcher;
    }

    @Override
    public RepairRunner.ClassRun run(Class<?> c, Set<String> methods, Set<String> exclude, RepairRunner.Watch watch) {
        RepairRunner.ClassRun out = new RepairRunner.ClassRun();
        PostDiscoveryFilter keep = d -> FilterResult.includedIf(kept(d, c.getName(), methods, exclude));
        LauncherDiscoveryRequest request = LauncherDiscoveryRequestBuilder.request()
                .selectors(DiscoverySelectors.selectClass(c))
                .filters(keep)
                .build();
        Listener listener = new Listener(c.getName(), watch, out);
        try {
            launcher().execute(request, listener);
        } catch (RuntimeException | LinkageError e) {
            out.failures.add(new Failure(Description.createTestDescription(c.getName(), "initializationError"), e));
        }
        return out;
    }

    /** Whether a discovered leaf (a test method, or a template/factory method whose invocations come later) runs:
     * one of {@code methods} (all when empty) of the class itself, not excluded. An excluded invocation
     * ("m[2]") excludes its method: invocations are not known before they run. */
    static boolean kept(TestDescriptor d, String cls, Set<String> methods, Set<String> exclude) {
        Optional<TestSource> source = d.getSource();
        if (source.isPresent() && source.get() instanceof MethodSource) {
            MethodSource m = (MethodSource) source.get();
            String owner = m.getClassName();
            String name = m.getMethodName();
            if (!methods.isEmpty() && !(owner.equals(cls) && named(methods, name))) return false;
            if (exclude.contains(owner) || exclude.contains(owner + "::" + name)) return false;
            for (String x : exclude) if (x.startsWith(owner + "::" + name + "[")) return false;
            return true;
        }
        if (source.isPresent() && source.get() instanceof ClassSource)
            return methods.isEmpty() && !exclude.contains(((ClassSource) source.get()).getClassName());
        return methods.isEmpty();
    }

    /** Whether {@code methods} names method {@code name} or one of its invocations ("m[1]"). */
    static boolean named(Set<String> methods, String name) {
        for (String m : methods) if (m.equals(name) || RepairRunner.Named.base(m).equals(name)) return true;
        return false;
    }

    /** Records tests run and failures; moves the watchdog along. */
    static final class Listener implements TestExecutionListener {
        final String cls;
        final RepairRunner.Watch watch;
        final RepairRunner.ClassRun out;
        TestPlan plan;

        Listener(String cls, RepairRunner.Watch watch, RepairRunner.ClassRun out) {
            this.cls = cls;
            this.watch = watch;
            this.out = out;
        }

        @Override
        public void testPlanExecutionStarted(TestPlan testPlan) {
            plan = testPlan;
        }

        @Override
        public void executionStarted(TestIdentifier id) {
            String[] name = name(id);
            if (id.isTest()) watch.at(name[0] + "::" + name[1]);
            else if (id.getSource().isPresent() && id.getSource().get() instanceof ClassSource)
                watch.at(name[0] + "::beforeClass");
        }

        @Override
        public void executionFinished(TestIdentifier id, TestExecutionResult result) {
            String[] name = name(id);
            if (id.isTest()) {
                out.run++;
                watch.at(name[0] + "::afterClass");
            }
            if (result.getStatus() == TestExecutionResult.Status.FAILED) {
                Throwable t = trimmed(result.getThrowable().orElseGet(() -> new AssertionError("failed")));
                out.failures.add(new Failure(Description.createTestDescription(name[0], name[1]), t));
            }
        }

        /** {@code t} without the frames below the last frame of the project's code (the platform's ~70
         * frames; the console launcher trims them too). */
        static Throwable trimmed(Throwable t) {
            StackTraceElement[] frames = t.getStackTrace();
            int last = -1;
            for (int i = 0; i < frames.length; i++) if (!framework(frames[i].getClassName())) last = i;
            if (last >= 0 && last < frames.length - 1) t.setStackTrace(Arrays.copyOf(frames, last + 1));
            return t;
        }

        static boolean framework(String cls) {
            for (String p : FRAMEWORK) if (cls.startsWith(p)) return true;
            return false;
        }

        static final String[] FRAMEWORK = {"org.junit.", "org.opentest4j.", "java.", "javax.", "jdk.", "sun.",
                "JupiterRunner", "RepairRunner", "WarmServer"};

        /** (class, JUnit 4 style method name) of a test or container: the method of the outermost node with
         * that method as its source (a template's invocations have it too), then the invocations' indices. */
        String[] name(TestIdentifier id) {
            TestIdentifier method = null;
            for (TestIdentifier at = id; at != null; at = plan == null ? null : plan.getParent(at).orElse(null)) {
                Optional<TestSource> s = at.getSource();
                if (s.isPresent() && s.get() instanceof MethodSource) {
                    method = at;
                    continue;
                }
                if (method != null) break;
                if (s.isPresent() && s.get() instanceof ClassSource)
                    return new String[] {((ClassSource) s.get()).getClassName(), "initializationError"};
            }
            if (method == null) return new String[] {cls, "initializationError"};
            MethodSource m = (MethodSource) method.getSource().get();
            return new String[] {m.getClassName(), m.getMethodName() + indices(id, method)};
        }

        /** "[1]" per invocation (test template, dynamic test or container) between a method and its test. */
        static String indices(TestIdentifier test, TestIdentifier method) {
            List<UniqueId.Segment> all = UniqueId.parse(test.getUniqueId()).getSegments();
            int from = UniqueId.parse(method.getUniqueId()).getSegments().size();
            List<String> out = new ArrayList<>();
            for (UniqueId.Segment s : all.subList(Math.min(from, all.size()), all.size()))
                out.add("[" + s.getValue().replace("#", "") + "]");
            return String.join("", out);
        }
    }
}
