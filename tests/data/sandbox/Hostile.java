import java.io.*;
import java.net.*;
import java.nio.file.*;
import java.util.*;

/** What a hostile candidate patch tries; args[0] picks the behaviour, the rest are its arguments. Prints what it
 *  managed to do on stdout ("DONE ..." when the act succeeded, "BLOCKED ..." with the exception otherwise). */
public class Hostile {
    public static void main(String[] args) throws Exception {
        String what = args[0];
        try {
            switch (what) {
                case "write": Files.write(Paths.get(args[1]), "pwned\n".getBytes()); break;
                case "append": Files.write(Paths.get(args[1]), "// pwned\n".getBytes(), StandardOpenOption.APPEND); break;
                case "delete": Files.delete(Paths.get(args[1])); break;
                case "read": System.out.println("CONTENT " + new String(Files.readAllBytes(Paths.get(args[1])))); break;
                case "env": System.out.println("ENV " + new TreeMap<>(System.getenv())); break;
                case "connect": try (Socket s = new Socket()) {
                        s.connect(new InetSocketAddress("127.0.0.1", Integer.parseInt(args[1])), 2000);
                        s.getOutputStream().write("secret\n".getBytes());
                    } break;
                case "spawn": new ProcessBuilder("sleep", args[1]).start();
                    if (args.length > 2) Thread.sleep(Long.parseLong(args[2]));
                    break;
                case "oom": List<long[]> hog = new ArrayList<>();
                    while (true) hog.add(new long[1 << 20]);
                case "native": java.lang.reflect.Field f = sun.misc.Unsafe.class.getDeclaredField("theUnsafe");
                    f.setAccessible(true);
                    sun.misc.Unsafe u = (sun.misc.Unsafe) f.get(null);
                    for (int i = 0; i < 1 << 20; i++) { long p = u.allocateMemory(1 << 26); u.setMemory(p, 1 << 26, (byte) 1); }
                    break;
                default: throw new IllegalArgumentException(what);
            }
            System.out.println("DONE " + what);
        } catch (Throwable e) {
            System.out.println("BLOCKED " + what + " " + e);
        }
    }
}
