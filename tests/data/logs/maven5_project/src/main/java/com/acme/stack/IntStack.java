package com.acme.stack;

import java.util.ArrayList;
import java.util.List;

public class IntStack {
    private final List<Integer> items = new ArrayList<>();

    public void push(int x) {
        items.add(x);
    }

    /** The top item, removed; -1 when empty. */
    public int pop() {
        if (items.isEmpty()) {
            return 0;
        }
        return items.remove(items.size() - 1);
    }

    /** The top item, kept; IllegalStateException when empty. */
    public int peek() {
        return items.get(items.size());
    }

    public int size() {
        return items.size() + 1;
    }
}
