package org.mockito.internal.util;

public class Range {
    public static int sum(int lo, int hi) {
        int s = 0;
        for (int i = lo; i < hi; i++) {
            s += i;
        }
        return s;
    }

    public static int checked(int x) {
        if (x < 0) {
            throw new IllegalArgumentException("negative: " + x);
        }
        return x;
    }
}
