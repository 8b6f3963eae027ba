package dev.lifelong.assistant.config;

/** A setting in the config file or on the command line is invalid; the message names the setting and the fix. */
public class ConfigException extends RuntimeException {
    public ConfigException(String message) { super(message); }
}
