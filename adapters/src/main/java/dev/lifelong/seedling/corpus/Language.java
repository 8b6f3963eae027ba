package dev.lifelong.seedling.corpus;

/** Language of a generated conversation; the corpus is roughly 70% English, 30% Chinese. */
public enum Language {
    EN, ZH
}
