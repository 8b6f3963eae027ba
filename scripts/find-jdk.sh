# Sourced by ./lifelong, ./run-tests and ./bench/run: sets JAVA_HOME to a JDK 21 or newer, or explains what is missing.
# Looks in $JAVA_HOME, the java on PATH, then /usr/lib/jvm/* and /Library/Java/JavaVirtualMachines/*.

lifelong_java_feature() {
  # prints the feature version (17, 21, 25, ...) of the java binary given, or nothing
  "$1" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.specification\.version = \([0-9][0-9]*\).*/\1/p' | head -n1
}

lifelong_find_jdk() {
  local candidates=() c v
  [ -n "${JAVA_HOME:-}" ] && candidates+=("$JAVA_HOME")
  if command -v javac >/dev/null 2>&1; then
    candidates+=("$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")")
  fi
  for c in /usr/lib/jvm/* /Library/Java/JavaVirtualMachines/*/Contents/Home; do
    [ -d "$c" ] && candidates+=("$c")
  done
  local seen=""
  for c in "${candidates[@]}"; do
    [ -x "$c/bin/java" ] && [ -x "$c/bin/javac" ] || continue
    v="$(lifelong_java_feature "$c/bin/java")"
    seen="$seen\n  $c (Java ${v:-?})"
    if [ -n "$v" ] && [ "$v" -ge 21 ]; then
      export JAVA_HOME="$c"
      return 0
    fi
  done
  {
    echo "Lifelong needs a JDK 21 or newer (java and javac), and none was found."
    if [ -n "$seen" ]; then printf "Found only:%b\n" "$seen"; else echo "No JDK found in JAVA_HOME, PATH or /usr/lib/jvm."; fi
    echo "Install one, e.g. 'sudo apt-get install openjdk-21-jdk' (Debian/Ubuntu) or Temurin 21 from adoptium.net,"
    echo "then run again (or set JAVA_HOME to it)."
  } >&2
  return 1
}
