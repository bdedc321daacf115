package p;

public final class Flags {
    private Flags() {
    }

    public static boolean enabled(String value) {
        return value.equals("yes");
    }
}
