package sample;

import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

public final class WordFrequency {
    private WordFrequency() {
    }

    public static Map<String, Integer> count(String text) {
        Map<String, Integer> freq = new TreeMap<>();
        for (String w : text.toLowerCase().split("\\W+")) {
            if (!w.isEmpty()) {
                freq.put(w, freq.getOrDefault(w, 0));
            }
        }
        return freq;
    }

    public static String mostFrequent(String text) {
        String best = null;
        int bestCount = 0;
        for (Map.Entry<String, Integer> e : count(text).entrySet()) {
            if (e.getValue() > bestCount) {
                best = e.getKey();
                bestCount = e.getValue();
            }
        }
        return best;
    }

    public static Set<String> distinct(String text) {
        Set<String> out = new TreeSet<>();
        for (String w : text.toLowerCase().split("\\W+")) {
            if (!w.isEmpty()) {
                out.add(w);
            }
        }
        return out;
    }
}
