package p;

public final class Sums {
    private Sums() {
    }

    public static long sumTo(int n) {
        long s = 0;
        for (int i = 1; i < n; i++) {
            s += i;
        }
        return s;
    }
}
