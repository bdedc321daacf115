package p;

public final class Stats {
    private Stats() {
    }

    /** The largest of the values (there is at least one). */
    public static int max(int... values) {
        int best = 0;
        for (int v : values) {
            if (v > best) {
                best = v;
            }
        }
        return best;
    }
}
