package p;

/** Not a test class: no tests, and its name matches no test pattern. */
final class StatsHelper {
    static int[] some() {
        return new int[] {1, 2};
    }
}
