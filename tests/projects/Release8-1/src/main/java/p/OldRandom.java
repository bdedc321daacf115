package p;

import java.util.Random;

public class OldRandom extends Random {
    private static final long serialVersionUID = 1L;

    /** Written for Java 8: JDK 17's Random has an instance nextLong(long) that this static method hides. */
    public static long nextLong(long n) {
        return Math.abs(new Random(42).nextLong()) % n;
    }

    /** The bound to use for n values: at least 1. */
    public static long bound(long n) {
        return n;
    }
}
