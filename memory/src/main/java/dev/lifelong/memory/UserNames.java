package dev.lifelong.memory;

import java.lang.Character.UnicodeScript;
import java.text.Normalizer;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The rules for user names, which people read to decide who they are dealing with (the user list, "signed in as …").
 * A name is 1–40 letters, digits, '.', '_' or '-', starting with a letter or digit, and must not be able to pass for
 * another: it must already be in NFKC form (no fullwidth "ＡＤＭＩＮ", no ligatures), must not mix Latin with a script
 * whose letters look Latin (an "оwner" with a Cyrillic о), and its {@link #skeleton} must differ from every other
 * user's. The skeleton follows Unicode's confusable detection (UTS #39) for the letters that matter here: Cyrillic,
 * Greek and Armenian look-alikes of Latin letters, 0/o, 1/l, and "rn"/"m"; it is a check, not a full implementation of
 * the confusables table.
 */
public final class UserNames {
    private static final Pattern SHAPE = Pattern.compile("[\\p{L}\\p{N}][\\p{L}\\p{N}._-]{0,39}");
    /** Scripts with letters that pass for Latin ones: never mixed with another script in one name. */
    private static final Set<UnicodeScript> LOOK_LATIN = EnumSet.of(UnicodeScript.CYRILLIC, UnicodeScript.GREEK,
            UnicodeScript.ARMENIAN, UnicodeScript.CHEROKEE);
    private static final Map<Character, Character> LOOK_ALIKES = Map.ofEntries(
            // Cyrillic
            Map.entry('а', 'a'), Map.entry('в', 'b'), Map.entry('с', 'c'), Map.entry('ԁ', 'd'), Map.entry('е', 'e'),
            Map.entry('ё', 'e'), Map.entry('һ', 'h'), Map.entry('н', 'h'), Map.entry('і', 'i'), Map.entry('ї', 'i'),
            Map.entry('ј', 'j'), Map.entry('к', 'k'), Map.entry('ӏ', 'l'), Map.entry('м', 'm'), Map.entry('о', 'o'),
            Map.entry('р', 'p'), Map.entry('ԛ', 'q'), Map.entry('г', 'r'), Map.entry('ѕ', 's'), Map.entry('т', 't'),
            Map.entry('ц', 'u'), Map.entry('ѵ', 'v'), Map.entry('ԝ', 'w'), Map.entry('х', 'x'), Map.entry('у', 'y'),
            Map.entry('ү', 'y'), Map.entry('з', '3'), Map.entry('ь', 'b'),
            // Greek
            Map.entry('α', 'a'), Map.entry('β', 'b'), Map.entry('γ', 'y'), Map.entry('ε', 'e'), Map.entry('η', 'n'),
            Map.entry('ι', 'i'), Map.entry('κ', 'k'), Map.entry('ν', 'v'), Map.entry('ο', 'o'), Map.entry('ρ', 'p'),
            Map.entry('τ', 't'), Map.entry('υ', 'u'), Map.entry('χ', 'x'), Map.entry('ω', 'w'), Map.entry('ς', 'c'),
            // Armenian
            Map.entry('օ', 'o'), Map.entry('ս', 'u'), Map.entry('հ', 'h'), Map.entry('ո', 'n'), Map.entry('ց', 'g'),
            Map.entry('զ', 'q'),
            // digits and Latin look-alikes
            Map.entry('0', 'o'), Map.entry('1', 'l'), Map.entry('ı', 'i'), Map.entry('ℓ', 'l'));

    private UserNames() {
    }

    /** Returns {@code name} if it is acceptable; else throws {@link IllegalArgumentException} saying why. */
    public static String requireValid(String name) {
        if (name == null || !SHAPE.matcher(name).matches()) {
            throw new IllegalArgumentException("a user name is 1 to 40 letters, digits, '.', '_' or '-', starting with a"
                    + " letter or digit" + (name == null ? "" : "; got '" + abbreviate(name) + "'"));
        }
        String nfkc = Normalizer.normalize(name, Normalizer.Form.NFKC);
        if (!nfkc.equals(name)) {
            throw new IllegalArgumentException("'" + name + "' uses compatibility characters (fullwidth letters, ligatures…);"
                    + " write it as '" + nfkc + "'");
        }
        Set<UnicodeScript> scripts = EnumSet.noneOf(UnicodeScript.class);
        name.codePoints().filter(Character::isLetter).forEach(c -> {
            UnicodeScript s = UnicodeScript.of(c);
            if (s != UnicodeScript.COMMON && s != UnicodeScript.INHERITED) scripts.add(s);
        });
        if (scripts.size() > 1 && scripts.stream().anyMatch(LOOK_LATIN::contains)) {
            throw new IllegalArgumentException("'" + name + "' mixes letters of " + scripts.stream().map(UserNames::scriptName)
                    .sorted().reduce((a, b) -> a + " and " + b).orElse("") + " that look alike; use one script");
        }
        return name;
    }

    /** What {@code name} looks like: two names with the same skeleton could be taken for each other. */
    public static String skeleton(String name) {
        String n = Normalizer.normalize(name, Normalizer.Form.NFKC).toLowerCase(Locale.ROOT);
        n = Normalizer.normalize(n, Normalizer.Form.NFD).replaceAll("\\p{M}", "");
        StringBuilder out = new StringBuilder(n.length());
        for (char c : n.toCharArray()) out.append(LOOK_ALIKES.getOrDefault(c, c));
        return out.toString().replace("rn", "m").replace("vv", "w").replace('_', '-');
    }

    private static String scriptName(UnicodeScript s) {
        String n = s.name().toLowerCase(Locale.ROOT);
        return Character.toUpperCase(n.charAt(0)) + n.substring(1);
    }

    private static String abbreviate(String s) {
        return s.length() > 60 ? s.substring(0, 60) + "…" : s;
    }
}
