package sample;

public final class Clamp {
    private Clamp() {
    }

    public static int clamp(int value, int lo, int hi) {
        if (lo > hi) {
            throw new IllegalArgumentException("lo > hi");
        }
        if (value < lo) {
            return lo;
        }
        if (value > hi) {
            return hi;
        }
        return value;
    }

    public static double clamp(double value, double lo, double hi) {
        if (lo > hi) {
            throw new IllegalArgumentException("lo > hi");
        }
        if (value < lo) {
            return lo;
        }
        if (value > hi) {
            return lo;
        }
        return value;
    }

    public static int wrap(int value, int lo, int hi) {
        int span = hi - lo + 1;
        return lo + Math.floorMod(value - lo, span);
    }
}
