package dev.lifelong.assistant.http;

import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * In front of everything the server answers (pages, static files, API): refuses a {@code Host} it does not go by, and
 * sets the headers that keep the browser strict about the page.
 *
 * <p>A page on another site can point its own name at 127.0.0.1 (DNS rebinding) and then talk to Lifelong as if it
 * were its own origin; such requests carry that name in {@code Host}, so only localhost, IP addresses (a rebinding page
 * never arrives under an address) and the names given to --allow-remote are answered; anything else gets 421.
 *
 * <p>Content-Security-Policy: scripts, styles, images and connections from this origin only, no media, no plugins, no
 * framing. Even if model output got markup past the sanitiser, the browser would neither run it nor fetch anything
 * from another host with it. Plus nosniff, no framing, no Referer, and resources that other origins may not embed.
 */
final class RequestGuard implements Filter {
    static final String CONTENT_SECURITY_POLICY = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self';"
            + " media-src 'none'; font-src 'self'; connect-src 'self'; manifest-src 'self'; object-src 'none';"
            + " frame-src 'none'; worker-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";
    private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");
    private static final Pattern IPV6 = Pattern.compile("\\[[0-9a-fA-F:.]+(%[^\\]]*)?]");

    private final Set<String> hostNames;

    /** @param hostNames the names (lower case) a Host header may carry besides IP addresses */
    RequestGuard(Set<String> hostNames) { this.hostNames = hostNames; }

    @Override
    public void doFilter(ServletRequest request, ServletResponse response, FilterChain chain) throws IOException, ServletException {
        HttpServletRequest req = (HttpServletRequest) request;
        HttpServletResponse res = (HttpServletResponse) response;
        res.setHeader("Content-Security-Policy", CONTENT_SECURITY_POLICY);
        res.setHeader("X-Frame-Options", "DENY");
        res.setHeader("X-Content-Type-Options", "nosniff");
        res.setHeader("Referrer-Policy", "no-referrer");
        res.setHeader("Cross-Origin-Opener-Policy", "same-origin");
        res.setHeader("Cross-Origin-Resource-Policy", "same-origin");
        String host = req.getHeader("Host");
        if (host != null && !accepted(host)) {
            res.setStatus(421);
            res.setContentType("application/json");
            res.getOutputStream().write(Json.write(Dto.error("invalid_request_error", "unknown_host",
                    "this server does not answer to the name '" + Json.abbreviate(hostName(host)) + "'; open it as"
                            + " http(s)://127.0.0.1 or localhost (other names: --allow-remote NAMES)")).getBytes(StandardCharsets.UTF_8));
            return;
        }
        chain.doFilter(request, response);
    }

    boolean accepted(String hostHeader) {
        String name = hostName(hostHeader);
        return IPV4.matcher(name).matches() || IPV6.matcher(name).matches() || hostNames.contains(name.toLowerCase(Locale.ROOT));
    }

    /** The host of a Host header, without its port ({@code [::1]} keeps its brackets). */
    static String hostName(String hostHeader) {
        String h = hostHeader.strip();
        if (h.startsWith("[")) {
            int end = h.indexOf(']');
            return end < 0 ? h : h.substring(0, end + 1);
        }
        int colon = h.lastIndexOf(':');
        return colon < 0 ? h : h.substring(0, colon);
    }
}
