"""Russian and Buryat names, patronymics from the father's name, and the spelling variants seen between registries."""

from __future__ import annotations

import functools

import numpy as np
from faker.providers.person.ru_RU import Provider as _RuPerson

# Faker's ru_RU given-name lists are alphabetical and full of archaic names; children get the popular ones.
CHILD_MALE_RU = """Александр Михаил Максим Артём Иван Даниил Дмитрий Кирилл Андрей Егор Никита Илья Алексей Матвей Тимофей
Роман Владимир Ярослав Фёдор Георгий Константин Лев Николай Степан Марк Павел Арсений Денис Сергей Глеб Семён Антон Евгений
Богдан Вадим Тимур Артур Виктор Захар Савелий""".split()
CHILD_FEMALE_RU = """Анастасия Мария Анна Виктория Полина Елизавета Екатерина Дарья Софья Алиса Ксения Александра Вероника Варвара
Арина Валерия Алёна Ульяна Милана Кристина Ева Татьяна Василиса Ирина Диана Юлия Маргарита Алина Ольга Елена Вера Таисия
Есения Злата Кира""".split()
ADULT_MALE_RU = """Александр Сергей Дмитрий Андрей Алексей Максим Евгений Иван Михаил Николай Владимир Денис Роман Артём Павел
Игорь Виталий Олег Антон Константин Юрий Вячеслав Виктор Руслан Илья Григорий Василий Пётр Станислав Анатолий""".split()
ADULT_FEMALE_RU = """Елена Ольга Наталья Татьяна Анна Ирина Екатерина Светлана Юлия Мария Анастасия Марина Евгения Оксана
Надежда Людмила Галина Валентина Кристина Ксения Виктория Алёна Дарья Любовь Вера Лариса Жанна Яна Олеся Марина""".split()
BURYAT_MALE = """Баир Булат Дугар Цырен Жаргал Аюр Баяр Бато Доржи Солбон Тумэн Чингис Мунко Ринчин Бэлигто Эрдэни Галсан Дамба
Бадма Зорикто Батор Саян Тимур Аюша Номгон Түмэн Баяндалай Эрдэм Арсалан Жамсо""".split()
BURYAT_FEMALE = """Туяна Сэсэг Аюна Сарюна Дарима Намжилма Цыпилма Баирма Эржена Арюна Сэсэгма Долгор Янжима Мэдэгма Номина
Оюна Саяна Билигма Дулма Соёлма Туяна Сэлмэг Үлзыйма Һэсэгма Гэрэлма Аяна Алтана Энхэ Жаргалма Баярма""".split()
BURYAT_SURNAMES = """Доржиев Цыдыпов Дашиев Балданов Батуев Будаев Гармаев Раднаев Цыренов Жамсуев Бадмаев Дамдинов Аюшеев
Намсараев Санжиев Шагдаров Цыбиков Очиров Будажапов Норбоев Дугаров Ринчинов Хандажапов Базаров Мункуев Содномов Эрдынеев
Жигжитов Банзаракцаев Цыденов Бальжинимаев Тудупов Дондоков Галсанов Лубсанов""".split()

RU_SURNAMES_MALE = list(_RuPerson.last_names_male)
RU_SURNAMES_FEMALE = list(_RuPerson.last_names_female)


@functools.cache  # pure, and called once per person: a few hundred distinct names
def female_surname(male: str) -> str:
    if male.endswith(("ов", "ев", "ёв", "ин", "ын")):
        return male + "а"
    if male.endswith("ий"):
        return male[:-2] + "ая"
    if male.endswith("ой"):
        return male[:-2] + "ая"
    return male


@functools.cache
def patronymic(father: str, sex: str) -> str:
    """Patronymic from the father's given name (Russian and Buryat names follow the same endings)."""
    m = sex == "male"
    special = {
        "Илья": ("Ильич", "Ильинична"),
        "Никита": ("Никитич", "Никитична"),
        "Лев": ("Львович", "Львовна"),
        "Пётр": ("Петрович", "Петровна"),
        "Павел": ("Павлович", "Павловна"),
        "Аюша": ("Аюшеевич", "Аюшеевна"),
        "Доржи": ("Доржиевич", "Доржиевна"),
        "Жамсо": ("Жамсоевич", "Жамсоевна"),
        "Эрдэни": ("Эрдэниевич", "Эрдэниевна"),
        "Григорий": ("Григорьевич", "Григорьевна"),
        "Василий": ("Васильевич", "Васильевна"),
        "Анатолий": ("Анатольевич", "Анатольевна"),
        "Виталий": ("Витальевич", "Витальевна"),
        "Юрий": ("Юрьевич", "Юрьевна"),
    }
    if father in special:
        return special[father][0 if m else 1]
    if father.endswith("й"):
        return father[:-1] + ("евич" if m else "евна")
    if father.endswith("ь"):
        return father[:-1] + ("евич" if m else "евна")
    if father.endswith("а"):
        return father[:-1] + ("ич" if m else "ична")
    if father.endswith(("и", "э", "о")):
        return father + ("евич" if m else "евна")
    return father + ("ович" if m else "овна")


_BURYAT_LETTERS = str.maketrans({"Ү": "У", "ү": "у", "Ө": "О", "ө": "о", "Һ": "Х", "һ": "х"})


def cp1251_safe(text: str) -> str:
    """What a Windows-1251 system stores: the Buryat letters Ү Ө Һ become У О Х."""
    return text.translate(_BURYAT_LETTERS)


_VARIANT_RULES = [
    ("Сэсэг", "Сэсег"),
    ("сэсэг", "сэсег"),
    ("иев", "еев"),
    ("Цырен", "Цырэн"),
    ("эн", "ен"),
    ("ё", "е"),
    ("Ё", "Е"),
    ("ыйма", "има"),
    ("Эр", "Ер"),
    ("жап", "жаб"),
    ("Ү", "У"),
    ("ү", "у"),
    ("Һ", "Х"),
    ("Ө", "О"),
    ("ө", "о"),
    ("э", "е"),
    ("Дорж", "Дарж"),
]


def name_variant(last: str, first: str, middle: str, rng: np.random.Generator) -> tuple[str, str, str, str]:
    """The same person's name as another registry typed it; returns (last, first, middle, which field changed)."""
    order = rng.permutation(3)
    fields = [last, first, middle]
    for idx in order:
        value = fields[idx]
        for old, new in _VARIANT_RULES:
            if old in value:
                fields[idx] = value.replace(old, new, 1)
                return fields[0], fields[1], fields[2], ("last_name", "first_name", "middle_name")[idx]
    if middle:
        return last, first, "", "middle_name"
    # double a consonant as a last resort (Филипов/Филиппов)
    return last[:-1] + last[-2:] if len(last) > 3 else last + "а", first, middle, "last_name"
