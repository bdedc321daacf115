import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;

import org.junit.runner.Description;
import org.junit.runner.JUnitCore;
import org.junit.runner.Request;
import org.junit.runner.Result;
import org.junit.runner.manipulation.Filter;
import org.junit.runner.notification.Failure;

/**
 * Runs JUnit 4 tests one at a time, each with a timeout, and prints JUnitCore's text format.
 *
 * Usage: RepairRunner [--timeout SECONDS] [--fail-fast] SPEC...  where SPEC is pkg.Class or pkg.Class::method.
 * Extra lines: "REPAIRCHAT-TIMEOUT pkg.Class::method SECONDS" for a test over its time (the run then stops),
 * and a last line "REPAIRCHAT-RESULT run=N failures=M timeouts=T". Exit code 0 when everything passed.
 */
public final class RepairRunner {
    public static void main(String[] args) throws Exception {
        double timeout = 10.0;
        boolean failFast = false;
        List<String> specs = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--timeout")) timeout = Double.parseDouble(args[++i]);
            else if (args[i].equals("--fail-fast")) failFast = true;
            else specs.add(args[i]);
        }
        PrintStream out = System.out;
        List<Failure> failures = new ArrayList<>();
        int run = 0;
        String timedOut = null;
        long start = System.nanoTime();
        outer:
        for (String spec : specs) {
            for (Request request : expand(spec, failures, RepairRunner::ownLoader)) {
                Description d = request.getRunner().getDescription();
                AtomicReference<Result> result = new AtomicReference<>();
                Thread t = new Thread(() -> result.set(new JUnitCore().run(request)), "repairchat-test");
                t.setDaemon(true);
                t.start();
                t.join((long) (timeout * 1000));
                if (t.isAlive()) {
                    timedOut = name(d);
                    run++;
                    break outer;
                }
                Result r = result.get();
                run += r.getRunCount();
                failures.addAll(r.getFailures());
                if (failFast && !failures.isEmpty()) break outer;
            }
        }
        out.println();
        out.println("Time: " + (System.nanoTime() - start) / 1e9);
        if (!failures.isEmpty()) {
            out.println(failures.size() == 1 ? "There was 1 failure:" : "There were " + failures.size() + " failures:");
            int i = 1;
            for (Failure f : failures) {
                out.println(i++ + ") " + f.getTestHeader());
                out.print(f.getTrace());
            }
        }
        if (timedOut != null) out.println("REPAIRCHAT-TIMEOUT " + timedOut + " " + timeout);
        out.println();
        if (failures.isEmpty() && timedOut == null) out.println("OK (" + run + " test" + (run == 1 ? "" : "s") + ")");
        else out.println("FAILURES!!!\nTests run: " + run + ",  Failures: " + failures.size());
        out.println("REPAIRCHAT-RESULT run=" + run + " failures=" + failures.size() + " timeouts=" + (timedOut == null ? 0 : 1));
        out.flush();
        System.exit(failures.isEmpty() && timedOut == null ? 0 : 1);
    }

    static ClassLoader ownLoader(String className) {
        return RepairRunner.class.getClassLoader();
    }

    /** One request per test method of ``spec`` (``Class`` or ``Class::method``), so that every test gets its own
     *  timeout, loading classes through ``loaderFor(className)``; a class that fails to load is an
     *  initializationError failure. */
    static List<Request> expand(String spec, List<Failure> failures, Function<String, ClassLoader> loaderFor) {
        List<Request> requests = new ArrayList<>();
        int sep = spec.indexOf("::");
        String cls = sep < 0 ? spec : spec.substring(0, sep);
        Class<?> c;
        try {
            c = Class.forName(cls, false, loaderFor.apply(cls));
        } catch (Throwable e) {
            failures.add(new Failure(Description.createTestDescription(cls, "initializationError"), e));
            return requests;
        }
        if (sep >= 0) {
            requests.add(Request.method(c, spec.substring(sep + 2)));
            return requests;
        }
        Request whole = Request.aClass(c);
        List<Description> leaves = new ArrayList<>();
        collect(whole.getRunner().getDescription(), leaves);
        if (leaves.isEmpty()) requests.add(whole);
        for (Description leaf : leaves) requests.add(Request.aClass(c).filterWith(Filter.matchMethodDescription(leaf)));
        return requests;
    }

    static void collect(Description d, List<Description> leaves) {
        if (d.isTest()) leaves.add(d);
        for (Description child : d.getChildren()) collect(child, leaves);
    }

    static String name(Description d) {
        while (!d.isTest() && d.getChildren().size() == 1) d = d.getChildren().get(0);
        return d.getClassName() + (d.getMethodName() == null ? "" : "::" + d.getMethodName());
    }
}
