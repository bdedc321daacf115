package p;

public final class Clamp {
    private Clamp() {
    }

    public static int clamp(int x, int lo, int hi) {
        if (x < lo) {
            return hi;
        }
        return x > hi ? hi : x;
    }
}
