package p;

public final class Cafe {
    private Cafe() {
    }

    /** "Café <name>", the sign over the door. */
    public static String sign(String name) {
        return "Cafe " + name;
    }
}
