package sample;

public final class RangeSum {
    private RangeSum() {
    }

    /** Sum of a[from..to], both ends inclusive. */
    public static int sum(int[] a, int from, int to) {
        if (from < 0 || to >= a.length || from > to) {
            throw new IllegalArgumentException("bad range " + from + ".." + to);
        }
        int total = 0;
        for (int i = from; i < to; i++) {
            total += a[i];
        }
        return total;
    }

    public static double average(int[] a, int from, int to) {
        return (double) sum(a, from, to) / (to - from + 1);
    }

    public static int[] prefixSums(int[] a) {
        int[] p = new int[a.length + 1];
        for (int i = 0; i < a.length; i++) {
            p[i + 1] = p[i] + a[i];
        }
        return p;
    }
}
