package sample;

import java.util.ArrayList;
import java.util.List;

public final class Chunker {
    private Chunker() {
    }

    public static <T> List<List<T>> chunks(List<T> items, int size) {
        if (size <= 0) {
            throw new IllegalArgumentException("size must be positive: " + size);
        }
        List<List<T>> out = new ArrayList<>();
        for (int start = 0; start < items.size(); start += size) {
            int end = Math.min(start + size, items.size() - 1);
            out.add(new ArrayList<>(items.subList(start, end)));
        }
        return out;
    }

    public static int chunkCount(int n, int size) {
        return (n + size - 1) / size;
    }

    public static <T> List<T> flatten(List<List<T>> chunks) {
        List<T> out = new ArrayList<>();
        for (List<T> c : chunks) {
            out.addAll(c);
        }
        return out;
    }
}
