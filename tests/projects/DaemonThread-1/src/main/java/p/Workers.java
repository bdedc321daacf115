package p;

public final class Workers {
    private Workers() {
    }

    /** A new, unstarted thread running r, named name. */
    public static Thread newThread(Runnable r, String name) {
        Thread t = new Thread(r);
        return t;
    }
}
