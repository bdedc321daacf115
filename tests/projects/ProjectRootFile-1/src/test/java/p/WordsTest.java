package p;

import static org.junit.Assert.assertEquals;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;

import org.junit.Test;

public class WordsTest {
    @Test
    public void countsWordsOfTheDataFile() throws Exception {
        String text = new String(Files.readAllBytes(Paths.get("data/words.txt")), StandardCharsets.UTF_8);
        assertEquals(6, Words.count(text));
    }
}
