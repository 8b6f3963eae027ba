#!/usr/bin/env bash
# Installs Lifelong for the current user: checks for a JDK 21+, builds, checks or fetches the model, and sets up a
# user service for the server plus a nightly timer for the adapter update (systemd user units on Linux, launchd agents
# on macOS). Running it twice is fine. User data stays unless --purge.
#
#   installer/install.sh [--data DIR] [--port N] [--pull MODEL_ID] [--no-start] [--no-build]
#   installer/install.sh --uninstall [--purge] [--data DIR]
#
#   --data DIR     data folder (default: $LIFELONG_HOME, else ~/.lifelong)
#   --port N       HTTP port (default 8377)
#   --pull ID      download a pinned real model first and make it the default (./lifelong models list shows the ids);
#                  without it the seedling shipped in the repository is used (works offline)
#   --no-start     write the service files but do not enable or start them
#   --no-build     do not build now (the launcher builds at the service's first start; for packagers and tests)
#   --uninstall    stop and remove the service, the timer and the `lifelong` command; keeps the data folder
#   --purge        with --uninstall: also delete the data folder
set -euo pipefail
ROOT="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
DATA="${LIFELONG_HOME:-$HOME/.lifelong}"
PORT=8377
PULL=""
START=1
BUILD=1
UNINSTALL=0
PURGE=0
while [ $# -gt 0 ]; do
  case "$1" in
    --data) DATA="$2"; shift 2 ;;
    --port) PORT="$2"; shift 2 ;;
    --pull) PULL="$2"; shift 2 ;;
    --no-start) START=0; shift ;;
    --no-build) BUILD=0; shift ;;
    --uninstall) UNINSTALL=1; shift ;;
    --purge) PURGE=1; shift ;;
    -h|--help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "install.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
done
case "$PORT" in ''|*[!0-9]*) echo "install.sh: --port needs a number, not '$PORT'" >&2; exit 2 ;; esac
if [ "$PURGE" = 1 ] && [ "$UNINSTALL" = 0 ]; then echo "install.sh: --purge goes with --uninstall" >&2; exit 2; fi
mkdir -p "$DATA" 2>/dev/null || true
DATA="$(cd "$DATA" 2>/dev/null && pwd || echo "$DATA")"

OS="${LIFELONG_INSTALL_OS:-$(uname -s)}"
BIN_DIR="$HOME/.local/bin"
SYSTEMD_DIR="${XDG_CONFIG_HOME:-$HOME/.config}/systemd/user"
AGENTS_DIR="$HOME/Library/LaunchAgents"
have_user_systemd() { command -v systemctl >/dev/null 2>&1 && systemctl --user show-environment >/dev/null 2>&1; }

if [ "$UNINSTALL" = 1 ]; then
  case "$OS" in
    Linux)
      if have_user_systemd; then
        systemctl --user disable --now lifelong.service lifelong-update.timer >/dev/null 2>&1 || true
      fi
      rm -f "$SYSTEMD_DIR/lifelong.service" "$SYSTEMD_DIR/lifelong-update.service" "$SYSTEMD_DIR/lifelong-update.timer"
      if have_user_systemd; then systemctl --user daemon-reload || true; fi ;;
    Darwin)
      for agent in dev.lifelong.server dev.lifelong.update; do
        launchctl bootout "gui/$(id -u)" "$AGENTS_DIR/$agent.plist" >/dev/null 2>&1 || true
        rm -f "$AGENTS_DIR/$agent.plist"
      done ;;
  esac
  if [ -L "$BIN_DIR/lifelong" ]; then rm -f "$BIN_DIR/lifelong"; fi
  if [ "$PURGE" = 1 ]; then
    rm -rf "$DATA"
    echo "Lifelong removed, and its data folder $DATA deleted."
  else
    echo "Lifelong removed. Your data is still in $DATA (delete it with --uninstall --purge)."
  fi
  exit 0
fi

# shellcheck source=../scripts/find-jdk.sh
. "$ROOT/scripts/find-jdk.sh"
if ! lifelong_find_jdk; then
  case "$OS" in
    Darwin) echo "On macOS: brew install --cask temurin@21 (or download Temurin 21 from adoptium.net)." >&2 ;;
    *) echo "On Debian/Ubuntu: sudo apt-get install openjdk-21-jdk; on Fedora: sudo dnf install java-21-openjdk-devel." >&2 ;;
  esac
  exit 1
fi
echo "JDK: $JAVA_HOME"

if [ "$BUILD" = 1 ]; then
  echo "Building (the first time downloads Maven and the dependencies, 1-3 minutes)..."
  "$ROOT/lifelong" --version >/dev/null
elif [ ! -f "$ROOT/assistant/target/lifelong.jar" ]; then
  echo "Not built yet (--no-build): the service builds Lifelong at its first start."
fi

if [ -n "$PULL" ]; then
  "$ROOT/lifelong" models pull "$PULL" --data "$DATA"
elif [ ! -f "$ROOT/models/seedling/seedling.gguf" ]; then
  echo "install.sh: the seedling model is missing from $ROOT/models/seedling; pass --pull MODEL_ID" >&2
  exit 1
fi

# One scheduler for the nightly update: the timer below, so the server's own window is switched off.
SERVE=("$ROOT/lifelong" serve --data "$DATA" --port "$PORT" --update-window off)
UPDATE=("$ROOT/lifelong" update --now --all --data "$DATA")

# systemd: each argument in double quotes, with " and \ escaped and % doubled (specifier syntax)
unit_args() {
  local out="" a
  for a in "$@"; do
    a="${a//\\/\\\\}"; a="${a//\"/\\\"}"; a="${a//%/%%}"
    out="$out \"$a\""
  done
  printf '%s' "${out# }"
}
# launchd: XML text
xml() { local a="$1"; a="${a//&/&amp;}"; a="${a//</&lt;}"; a="${a//>/&gt;}"; printf '%s' "$a"; }

mkdir -p "$BIN_DIR"
ln -sfn "$ROOT/lifelong" "$BIN_DIR/lifelong"

case "$OS" in
  Linux)
    mkdir -p "$SYSTEMD_DIR"
    cat >"$SYSTEMD_DIR/lifelong.service" <<UNIT
[Unit]
Description=Lifelong personal assistant (web UI and API on 127.0.0.1:$PORT)
After=network.target

[Service]
Type=simple
Environment=JAVA_HOME=$JAVA_HOME
ExecStart=$(unit_args "${SERVE[@]}")
Restart=on-failure
RestartSec=5

[Install]
WantedBy=default.target
UNIT
    cat >"$SYSTEMD_DIR/lifelong-update.service" <<UNIT
[Unit]
Description=Lifelong nightly adapter update (every user)

[Service]
Type=oneshot
Environment=JAVA_HOME=$JAVA_HOME
ExecStart=$(unit_args "${UPDATE[@]}")
Nice=10
UNIT
    cat >"$SYSTEMD_DIR/lifelong-update.timer" <<UNIT
[Unit]
Description=Run the Lifelong adapter update every night

[Timer]
OnCalendar=*-*-* 03:30:00
RandomizedDelaySec=15min
Persistent=true

[Install]
WantedBy=timers.target
UNIT
    if [ "$START" = 1 ]; then
      if have_user_systemd; then
        systemctl --user daemon-reload
        systemctl --user enable --now lifelong.service lifelong-update.timer
      else
        echo "No systemd user session here: start it by hand with: lifelong serve --data $DATA"
      fi
    fi ;;
  Darwin)
    mkdir -p "$AGENTS_DIR" "$DATA/logs"
    args() { for a in "$@"; do printf '    <string>%s</string>\n' "$(xml "$a")"; done; }
    # agent LABEL LOG WHEN ARGS...: a launchd agent that runs ARGS (WHEN: the XML keys that say when)
    agent() {
      local label="$1" log="$2" when="$3"
      shift 3
      cat >"$AGENTS_DIR/$label.plist" <<PLIST
<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0"><dict>
  <key>Label</key><string>$label</string>
  <key>ProgramArguments</key><array>
$(args "$@")
  </array>
  <key>EnvironmentVariables</key><dict><key>JAVA_HOME</key><string>$(xml "$JAVA_HOME")</string></dict>
  $when
  <key>StandardOutPath</key><string>$(xml "$DATA/logs/$log")</string>
  <key>StandardErrorPath</key><string>$(xml "$DATA/logs/$log")</string>
</dict></plist>
PLIST
    }
    agent dev.lifelong.server server.log "<key>RunAtLoad</key><true/><key>KeepAlive</key><true/>" "${SERVE[@]}"
    agent dev.lifelong.update update.log \
      "<key>StartCalendarInterval</key><dict><key>Hour</key><integer>3</integer><key>Minute</key><integer>30</integer></dict>" "${UPDATE[@]}"
    if [ "$START" = 1 ]; then
      for agent in dev.lifelong.server dev.lifelong.update; do
        launchctl bootout "gui/$(id -u)" "$AGENTS_DIR/$agent.plist" >/dev/null 2>&1 || true
        launchctl bootstrap "gui/$(id -u)" "$AGENTS_DIR/$agent.plist"
      done
    fi ;;
  *) echo "install.sh: $OS is not supported (Linux and macOS are); run ./lifelong by hand" >&2; exit 1 ;;
esac

echo
echo "Lifelong is installed."
echo "  open     http://127.0.0.1:$PORT/  (the first-visit sign-in link is in the server log: journalctl --user -u lifelong)"
echo "  data     $DATA  (owner API key: $DATA/owner.key)"
echo "  command  $BIN_DIR/lifelong"
echo "  nightly  adapter update at 03:30 for every user"
echo "Uninstall: $ROOT/installer/install.sh --uninstall   (add --purge to delete the data too)"
