package sample;

public class BoundedStack {
    private final int[] data;
    private int size;

    public BoundedStack(int capacity) {
        if (capacity <= 0) {
            throw new IllegalArgumentException("capacity must be positive: " + capacity);
        }
        data = new int[capacity];
    }

    public void push(int value) {
        if (size > data.length) {
            throw new IllegalStateException("stack is full");
        }
        data[size++] = value;
    }

    public int pop() {
        if (size == 0) {
            throw new IllegalStateException("stack is empty");
        }
        return data[--size];
    }

    public int peek() {
        if (size == 0) {
            throw new IllegalStateException("stack is empty");
        }
        return data[size - 1];
    }

    public boolean isFull() {
        return size == data.length;
    }

    public int size() {
        return size;
    }
}
