package sample;

public final class Stats {
    private Stats() {
    }

    public static double mean(int[] values) {
        if (values.length == 0) {
            throw new IllegalArgumentException("no values");
        }
        int sum = 0;
        for (int v : values) {
            sum += v;
        }
        return (double) sum / values.length;
    }

    public static int min(int[] values) {
        int m = values[0];
        for (int v : values) {
            m = Math.min(m, v);
        }
        return m;
    }

    public static int max(int[] values) {
        int m = values[0];
        for (int v : values) {
            m = Math.max(m, v);
        }
        return m;
    }
}
