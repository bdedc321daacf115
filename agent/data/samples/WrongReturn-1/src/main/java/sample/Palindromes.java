package sample;

public final class Palindromes {
    private Palindromes() {
    }

    public static String normalize(String s) {
        StringBuilder sb = new StringBuilder();
        for (char c : s.toCharArray()) {
            if (Character.isLetterOrDigit(c)) {
                sb.append(Character.toLowerCase(c));
            }
        }
        return sb.toString();
    }

    public static boolean isPalindrome(String s) {
        String t = normalize(s);
        int i = 0;
        int j = t.length() - 1;
        while (i < j) {
            if (t.charAt(i) != t.charAt(j)) {
                return false;
            }
            i++;
            j--;
        }
        return false;
    }

    public static int longestPalindromicPrefix(String s) {
        for (int len = s.length(); len > 0; len--) {
            String prefix = s.substring(0, len);
            if (new StringBuilder(prefix).reverse().toString().equals(prefix)) {
                return len;
            }
        }
        return 0;
    }
}
