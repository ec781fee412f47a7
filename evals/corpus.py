# ruff: noqa: E501
"""Hand-written material for the recall dataset: users, their sessions, episodes and questions.

An *episode* is a short exchange on one subject. Turns that hold a fact carry a label; the
episode's ``questions`` map each label to ways a user might later ask about it (paraphrases
included). ``{when}`` in a question is filled in by make_dataset.py ("earlier", "last week", ...).
Filler exchanges (small talk, unrelated how-tos) are shared by all users and sprinkled between
episodes by make_dataset.py, so every session holds distractors.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Turn:
    role: str  # "human" or "ai"
    text: str
    label: str | None = None


@dataclass(frozen=True)
class Episode:
    key: str
    topic: str
    turns: tuple[Turn, ...]
    questions: dict[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class SessionPlan:
    date: str  # ISO date the session took place
    episodes: tuple[Episode, ...]


@dataclass(frozen=True)
class UserPlan:
    user_id: str
    name: str
    sessions: tuple[SessionPlan, ...]


def H(text: str, label: str | None = None) -> Turn:
    return Turn("human", text, label)


def A(text: str, label: str | None = None) -> Turn:
    return Turn("ai", text, label)


def ep(key: str, topic: str, *turns: Turn, q: dict[str, tuple[str, ...]] | None = None) -> Episode:
    labels = {t.label for t in turns if t.label}
    missing = set(q or {}) - labels
    if missing:
        raise ValueError(f"episode {key}: questions for unknown labels {missing}")
    return Episode(key, topic, tuple(turns), dict(q or {}))


# ---------------------------------------------------------------------------------------------
# Fillers: no facts anyone asks about later. Each is a list of turns.
# ---------------------------------------------------------------------------------------------

FILLERS: tuple[tuple[Turn, ...], ...] = (
    (H("Morning! Coffee first, then questions."), A("Good morning! Enjoy the coffee, I'm here whenever you're ready.")),
    (
        H("How long do hard-boiled eggs keep in the fridge?"),
        A(
            "About a week, in the shell or peeled, in a closed container. Unpeeled ones keep slightly better and smell less."
        ),
    ),
    (
        H("Tell me a joke, I need cheering up."),
        A("Why don't scientists trust atoms? Because they make up everything."),
        H("Ha, terrible. Thanks."),
        A("Happy to lower the bar. Anything else I can help with?"),
    ),
    (
        H("What's the difference between baking soda and baking powder?"),
        A(
            "Baking soda is pure sodium bicarbonate and needs an acid such as yoghurt or lemon to react; baking powder already contains its own acid, so it works on its own. Soda is about three times stronger."
        ),
    ),
    (
        H("Can you recommend a podcast for my commute?"),
        A(
            "Try 'The Rest Is History' for storytelling, 'Freakonomics Radio' for curious ideas, or 'Desert Island Discs' for conversations with interesting people."
        ),
        H("I'll give the history one a go."),
    ),
    (
        H("Explain compound interest in one sentence."),
        A(
            "Compound interest means you earn interest on your interest, so money grows faster the longer you leave it alone."
        ),
    ),
    (
        H("How many millilitres are in a cup?"),
        A("A US cup is about 240 ml; a metric cup, used in Australia and often in the UK, is 250 ml."),
    ),
    (
        H("I haven't been sleeping well lately, any tips?"),
        A(
            "Keep a consistent wake-up time, get daylight in the morning, avoid caffeine after 2pm and screens in the last hour, and keep the bedroom cool and dark. If you're awake for more than 20 minutes, get up and read until you feel sleepy."
        ),
        H("The caffeine one might be it, I have a coffee at four."),
        A(
            "That's a likely culprit: caffeine has a half-life of around five hours. Try switching the 4pm one to decaf for a week."
        ),
    ),
    (
        H("Do people tip in restaurants in Europe?"),
        A(
            "It varies, but in most of Europe service is included or tips are modest: rounding up or leaving 5-10% for good service is plenty."
        ),
    ),
    (
        H("Suggest a good novel for a long weekend."),
        A(
            "'Tomorrow, and Tomorrow, and Tomorrow' by Gabrielle Zevin, or if you fancy something cosy, 'A Gentleman in Moscow' by Amor Towles."
        ),
        H("Added both to my list."),
    ),
    (
        H("How do I get red wine out of a carpet?"),
        A(
            "Blot, don't rub, with kitchen paper, then dab with a mix of one tablespoon washing-up liquid, one tablespoon white vinegar and two cups of warm water. Rinse with cold water and blot dry."
        ),
        H("It worked, thank you!"),
    ),
    (
        H("My friend swears Sydney is the capital of Australia."),
        A(
            "It's Canberra, chosen as a compromise between Sydney and Melbourne and purpose-built in the early 20th century."
        ),
    ),
    (
        H("How often should I water a snake plant?"),
        A(
            "Only when the soil is completely dry: every two to three weeks in summer and about monthly in winter. Overwatering is what usually kills them."
        ),
    ),
    (
        H("Can you help me write a polite message declining a meeting?"),
        A(
            "Sure: 'Hi Sam, thank you for the invite. Unfortunately I can't make it this time, but please send me the notes and I'll follow up on anything that needs my input.'"
        ),
        H("Perfect, sent."),
    ),
    (
        H("Can you freeze bread?"),
        A(
            "Yes: slice it first, freeze it in a sealed bag for up to three months, and toast the slices straight from frozen."
        ),
    ),
    (
        H("What's a good stretch for tight hamstrings?"),
        A(
            "A standing hamstring stretch with a flat back: heel on a low step, hinge forward from the hips until you feel it, 30 seconds each side, twice a day."
        ),
    ),
    (
        H("Do you think it'll be a cold winter?"),
        A(
            "I can't forecast the weather, but the national weather service publishes seasonal outlooks. Either way, bleeding the radiators and having the boiler serviced before winter is a good idea."
        ),
    ),
    (
        H("What's the quickest way to chill a bottle of drink?"),
        A(
            "Wrap it in wet kitchen paper and put it in the freezer for 15 minutes, or spin it in a bowl of iced water with a handful of salt for about three minutes."
        ),
    ),
    (H("Thanks for all the help today!"), A("You're very welcome, any time.")),
    (
        H("How do I descale a kettle?"),
        A(
            "Fill it halfway with equal parts water and white vinegar, or use a sachet of citric acid, bring it to the boil, leave it for an hour, then rinse and boil fresh water twice."
        ),
    ),
    (
        H("Recommend a film for a rainy Sunday?"),
        A(
            "'Paddington 2' for pure comfort, 'The Grand Budapest Hotel' for something stylish, or 'Knives Out' if you fancy a mystery."
        ),
        H("Paddington 2 it is."),
        A("Excellent choice. Have a cosy afternoon!"),
    ),
    (
        H("What's the fastest way to learn a few phrases of a new language?"),
        A(
            "Learn twenty survival phrases (hello, please, thank you, the bill, where is...), say them out loud every day with an app, and stick labels on things around the house."
        ),
    ),
    (
        H("How do I keep fresh herbs from wilting?"),
        A(
            "Treat soft herbs like flowers: trim the stems and stand them in a glass of water in the fridge, loosely covered with a bag. Wrap hardy herbs like rosemary in damp kitchen paper."
        ),
    ),
    (
        H("Any trick for remembering people's names?"),
        A(
            "Repeat the name straight away ('Nice to meet you, Sam'), link it to a vivid image, and use it once more before you leave."
        ),
    ),
    (
        H("Is 30 degrees a hot wash?"),
        A(
            "No, 30°C is a cool everyday wash: fine for most lightly soiled clothes and gentler on colours and on the energy bill."
        ),
    ),
    (H("Sorry, got distracted. Where were we?"), A("No problem at all! Happy to pick up wherever you like.")),
    (
        H("What's the time difference between London and New York?"),
        A(
            "New York is usually five hours behind London, but for a couple of weeks in March and around late October it's four, because the two countries change their clocks on different dates."
        ),
    ),
    (
        H("Any tips for keeping a tidy desk?"),
        A(
            "Keep only what you use every day on the desk, give everything else a drawer, and do a two-minute reset at the end of each day."
        ),
        H("The two-minute reset, I like that."),
    ),
    (
        H("How do I unblock a sink without harsh chemicals?"),
        A(
            "Pour half a cup of bicarbonate of soda down it, follow with a cup of white vinegar, wait 15 minutes, then flush it with a kettle of boiling water."
        ),
    ),
    (
        H("What's the best way to clean a cast iron pan?"),
        A(
            "Rinse it with hot water and a brush while it's still warm, scrub stuck bits with coarse salt, dry it on the hob and wipe on a thin film of oil. A little soap is fine now and then."
        ),
    ),
    (
        H("How do I stop my glasses fogging up when I wear a scarf?"),
        A(
            "Wash the lenses with a drop of washing-up liquid and let them air-dry to leave an anti-fog film, and tuck the scarf so your breath goes down rather than up."
        ),
    ),
    (
        H("Good evening! Long day."),
        A("Good evening! Sorry it's been a long one. What can I do for you?"),
    ),
    (
        H("Can you recommend a board game for four adults?"),
        A(
            "'Ticket to Ride' is easy to learn, 'Codenames' is great for laughs, and 'Wingspan' if you like something calmer and prettier."
        ),
    ),
    (
        H("What's the best way to ripen a hard mango?"),
        A(
            "Put it in a paper bag with a banana at room temperature for a day or two; the ethylene from the banana speeds it up."
        ),
    ),
    (
        H("How long should I boil pasta?"),
        A(
            "Follow the packet time minus a minute, in plenty of well-salted water, and save a mug of the cooking water to loosen the sauce."
        ),
    ),
    (
        H("Remind me to stretch more, I'm stiff from sitting all day."),
        A(
            "Noted! A good rule is to stand up and move for two minutes every half hour; set a timer on your phone so you don't forget."
        ),
    ),
    (
        H("Quick maths: what's 15% of 240?"),
        A("36."),
        H("Thanks, my brain is off today."),
    ),
    (
        H("Is it bad to charge my phone overnight?"),
        A(
            "Not really: modern phones stop charging at full and many have an optimised charging setting that holds at 80% until you usually wake up."
        ),
    ),
)


# ---------------------------------------------------------------------------------------------
# Maya Chen: vegetarian, a new beagle puppy, a trip to Lisbon, her mum's 60th.
# ---------------------------------------------------------------------------------------------

MAYA = UserPlan(
    "maya.chen@example.com",
    "Maya Chen",
    (
        SessionPlan(
            "2025-03-02",
            (
                ep(
                    "maya_diet",
                    "dietary",
                    H(
                        "Before we plan any meals, I should mention I went vegetarian at the start of January. No meat and no fish, but I still eat eggs and dairy.",
                        "diet",
                    ),
                    A(
                        "Got it: vegetarian, no meat or fish, with eggs and dairy still on the menu. I'll keep every suggestion within that. Do you want me to watch protein too? Beans, lentils, tofu, eggs and Greek yoghurt are easy wins."
                    ),
                    H("Yes please, I've been feeling a bit tired in the afternoons."),
                    A(
                        "Afternoon slumps on a new vegetarian diet are often about iron or B12. Pair iron-rich foods like lentils and spinach with vitamin C from peppers or lemon, and if it continues ask your GP for a blood test."
                    ),
                    H("Good to know, I'll book a blood test."),
                    q={
                        "diet": (
                            "What did I say my dietary restrictions were {when}?",
                            "Remind me, do I still eat fish or not?",
                            "What kind of eating plan did I tell you I follow?",
                            "Am I meat-free or fully plant-based, based on what I told you {when}?",
                        )
                    },
                ),
                ep(
                    "maya_avocado",
                    "cooking",
                    H("I've got two very ripe avocados and half a sourdough loaf. Breakfast idea?"),
                    A(
                        "Smashed avocado toast with a jammy egg: toast two thick slices of sourdough; mash the avocados with lemon juice, salt, chilli flakes and chopped coriander; boil an egg for 6 and a half minutes, cool it in cold water and peel it. Spread the avocado thickly, top with the halved egg, a drizzle of olive oil and toasted pumpkin seeds for crunch.",
                        "avocado",
                    ),
                    H("Can I make the mash the night before?"),
                    A(
                        "You can, but it browns. Press cling film directly onto the surface and add extra lemon juice; it keeps overnight in the fridge. Stir it before spreading."
                    ),
                    H("Perfect, Daniel will love this."),
                    q={
                        "avocado": (
                            "Can you give me the avocado one again?",
                            "What was that breakfast with the jammy egg on toast?",
                            "Remind me of the green smashed spread on bread you suggested {when}.",
                        )
                    },
                ),
                ep(
                    "maya_puppy",
                    "pets",
                    H(
                        "Big news: we picked up our puppy yesterday! A beagle, ten weeks old. Daniel wanted to call him Bagel but we settled on Biscuit.",
                        "puppy",
                    ),
                    A(
                        "Congratulations! Biscuit is a great name for a beagle. The first weeks are all about routine: take him outside after every meal, nap and play session, and praise him the moment he goes. Beagles are food-driven, so tiny treats work wonders."
                    ),
                    H("He cried all night in his crate."),
                    A(
                        "Very normal for the first nights. Put the crate next to your bed with a worn T-shirt that smells of you; a ticking clock or a heat pad can help too. Don't let him out while he's crying, wait for a pause."
                    ),
                    H("We'll try the T-shirt trick tonight."),
                    q={
                        "puppy": (
                            "What's my dog's name again? My brain is fried.",
                            "What breed did I say our new pup is?",
                            "What did we end up calling the little hound?",
                        )
                    },
                ),
                ep(
                    "maya_pancakes",
                    "cooking",
                    H("Daniel's birthday brunch is on Sunday and he's obsessed with American-style pancakes. Recipe?"),
                    A(
                        "Fluffy buttermilk pancakes for four: whisk 300 g plain flour, 2 tsp baking powder, half a tsp bicarbonate of soda, 2 tbsp sugar and a pinch of salt. In another bowl beat 2 eggs with 350 ml buttermilk and 40 g melted butter. Fold wet into dry until just combined, lumps are fine, rest 10 minutes, then cook ladlefuls on a medium pan until bubbles form and flip once.",
                        "pancakes",
                    ),
                    H("I don't have buttermilk."),
                    A(
                        "Stir 1 tbsp lemon juice into 350 ml whole milk and leave it for 5 minutes. It curdles slightly and works just like buttermilk.",
                        "buttermilk",
                    ),
                    H("Blueberries in the batter or on top?"),
                    A(
                        "Drop them onto each pancake right after you ladle it into the pan rather than mixing them in: the batter won't turn purple and they won't sink."
                    ),
                    q={
                        "pancakes": (
                            "What was the pancake recipe for Daniel's brunch?",
                            "How do I make those fluffy American breakfast stacks again?",
                        ),
                        "buttermilk": (
                            "What was the trick for when I don't have buttermilk?",
                            "How do I fake soured milk for a batter?",
                        ),
                    },
                ),
            ),
        ),
        SessionPlan(
            "2025-03-09",
            (
                ep(
                    "maya_flight",
                    "travel",
                    H(
                        "Flights to Lisbon are booked! TAP TP1351, leaving Heathrow at 07:40 on Monday 12 May, coming back on the 16th.",
                        "flight",
                    ),
                    A(
                        "Lovely. TP1351 lands in Lisbon around 10:20 local time, so you'll have most of the first day. The red metro line runs from the airport into town in about 20 minutes and is much cheaper than a taxi."
                    ),
                    H("Should we get one of those Viva Viagem cards?"),
                    A(
                        "Yes: load it with 'zapping' credit and use it on the metro, trams, buses and even the ferry to Cacilhas. Each person needs their own card."
                    ),
                    q={
                        "flight": (
                            "What time does our flight to Lisbon leave?",
                            "When do we take off for Portugal, and from which airport?",
                            "What was our flight number for the trip?",
                        )
                    },
                ),
                ep(
                    "maya_hotel",
                    "travel",
                    H(
                        "Where should we stay in Lisbon? We like walkable, characterful neighbourhoods, not a big chain."
                    ),
                    A(
                        "Three good options: Memmo Alfama, a boutique hotel with a rooftop pool looking over the river; Casa do Barão in Príncipe Real, a townhouse guesthouse with a garden; or The Lumiares in Bairro Alto, with apartment-style rooms and kitchenettes."
                    ),
                    H("We went for the Memmo Alfama, four nights from the 12th. The rooftop sold it.", "hotel"),
                    A(
                        "Great choice. Alfama is steep and cobbled, so pack comfortable shoes, and ask for a room facing the Tagus."
                    ),
                    q={
                        "hotel": (
                            "What was the name of the hotel in Lisbon?",
                            "Which place did we choose to stay at for the Portugal holiday?",
                            "Where are we sleeping on the May trip?",
                        )
                    },
                ),
                ep(
                    "maya_sintra",
                    "travel",
                    H("Is a day trip to Sintra worth it?"),
                    A(
                        "Absolutely. Go on a weekday, take an early train from Rossio station (about 40 minutes), and book timed tickets for Pena Palace in advance, the morning slots sell out. The initiation well at Quinta da Regaleira is a highlight too."
                    ),
                    H("Booked Pena Palace for 9:30 on Wednesday the 14th.", "sintra"),
                    A(
                        "Perfect. Take the 434 bus from the station up to the palace rather than walking; it's a steep climb."
                    ),
                    q={
                        "sintra": (
                            "What time is our palace visit on the Sintra day?",
                            "Which day are we doing the excursion out of the city to that colourful hilltop castle?",
                        )
                    },
                ),
                ep(
                    "maya_vet",
                    "pets",
                    H(
                        "Biscuit's second vaccination is booked for Thursday 20 March at Greenway Vets with Dr. Patel.",
                        "vet",
                    ),
                    A(
                        "Great. After the second jab he'll usually need one more week before he can walk on pavements and meet unknown dogs. Ask Dr. Patel about starting flea and worming treatment too."
                    ),
                    H("Can he go in the garden before then?"),
                    A(
                        "Yes, your own garden is fine as long as unvaccinated dogs haven't been in it. Carry him to puppy-safe places to socialise him in the meantime."
                    ),
                    q={
                        "vet": (
                            "When is Biscuit's next vet appointment?",
                            "When does our little dog go for his shots, and with which doctor?",
                        )
                    },
                ),
                ep(
                    "maya_restaurant",
                    "travel",
                    H("Any vegetarian-friendly restaurants in Lisbon?"),
                    A(
                        "Lisbon has become great for that. Try Ao 26 Vegan Food Project near Chiado for creative plant-based plates, Jardim dos Sentidos in Príncipe Real for a garden lunch, and in any tasca ask for 'sem carne e sem peixe': many will make you a vegetable açorda."
                    ),
                    H("Noted! I'll reserve Ao 26 for the Tuesday night.", "restaurant"),
                    A("Good idea, it's small, so a reservation is wise. Ask for the bean feijoada."),
                    q={
                        "restaurant": (
                            "Which vegetarian place did I say I'd reserve in Lisbon?",
                            "Where did I decide we'd have dinner on the Tuesday of the trip?",
                        )
                    },
                ),
            ),
        ),
        SessionPlan(
            "2025-03-17",
            (
                ep(
                    "maya_mum",
                    "people",
                    H("My mum Helen turns 60 on the 9th of June. She's mad about gardening. Gift ideas?", "mum"),
                    A(
                        "For a keen gardener's 60th: a pair of Japanese Okatsune secateurs, the kind professionals swear by; a personalised wooden sign for her potting shed; or an RHS membership so she can visit gardens all year. For something sentimental, plant a rose variety released the year she was born.",
                        "mum_gift",
                    ),
                    H(
                        "The secateurs and the membership are both lovely. I'll do the membership and Daniel can get the secateurs."
                    ),
                    A(
                        "A great combination. The RHS membership comes with a welcome pack you can post so it arrives on her birthday."
                    ),
                    q={
                        "mum": (
                            "When is my mother's birthday?",
                            "How old is Mum turning this year?",
                        ),
                        "mum_gift": (
                            "What present ideas did you give me for Helen?",
                            "What were those pruning shears you recommended?",
                        ),
                    },
                ),
                ep(
                    "maya_party",
                    "cooking",
                    H(
                        "I'm hosting dinner on Saturday 22 March: my sister Lena, her husband Marco and our friend Omar. Lena has a tree-nut allergy and Omar doesn't drink alcohol.",
                        "party",
                    ),
                    A(
                        "Thanks. I'll keep everything nut-free, so no pine nuts, walnuts, almonds or pesto, and suggest alcohol-free drinks. Since you're vegetarian, how about a mushroom risotto as the main?"
                    ),
                    H("Yes! Give me the risotto."),
                    A(
                        "Mushroom risotto for four: soak 20 g dried porcini in 200 ml hot water. Soften an onion and 2 garlic cloves in butter, add 400 g chestnut mushrooms and cook until golden. Stir in 300 g arborio rice for a minute, then add the porcini, their strained liquid and 1.2 litres of hot vegetable stock a ladle at a time, stirring, for about 18 minutes. Finish with butter and a vegetarian hard cheese, since real parmesan uses animal rennet.",
                        "risotto",
                    ),
                    H("And a drink for Omar?"),
                    A(
                        "A rosemary and grapefruit spritzer: grapefruit juice, a sprig of rosemary, a dash of honey syrup and soda water over ice."
                    ),
                    q={
                        "party": (
                            "Which of my guests has a nut allergy?",
                            "Remind me who can't have almonds or walnuts at the party?",
                            "Is anyone at Saturday's meal avoiding booze?",
                        ),
                        "risotto": (
                            "Can you send me the risotto again?",
                            "What main course did you come up with for my sister's visit?",
                        ),
                    },
                ),
                ep(
                    "maya_chewing",
                    "pets",
                    H("Biscuit has started chewing everything: the skirting boards, my trainers, the sofa leg."),
                    A(
                        "Teething peaks around three to six months. Give him legal alternatives: a frozen carrot, or a rubber Kong stuffed with his kibble and a bit of yoghurt, and swap whenever he grabs something off-limits. Bitter apple spray on the skirting boards helps, and make sure he naps enough, overtired puppies chew more.",
                        "chewing",
                    ),
                    H("Frozen carrot, genius. He's asleep now."),
                    q={
                        "chewing": (
                            "What did you suggest for Biscuit's chewing?",
                            "How do I stop the pup gnawing on furniture?",
                            "What was the vegetable trick for when his teeth hurt?",
                        )
                    },
                ),
            ),
        ),
    ),
)


# ---------------------------------------------------------------------------------------------
# Tom Okafor: first marathon, a sore knee, a budget and a house deposit, daughter Ada.
# ---------------------------------------------------------------------------------------------

TOM = UserPlan(
    "tom.okafor@example.com",
    "Tom Okafor",
    (
        SessionPlan(
            "2025-04-05",
            (
                ep(
                    "tom_marathon",
                    "fitness",
                    H(
                        "I've signed up for the Berlin Marathon on 28 September. First marathon! I'd love to go under 3 hours 45.",
                        "goal",
                    ),
                    A(
                        "Brilliant. Sub-3:45 means averaging about 5:20 per kilometre. What does your running look like at the moment, weekly distance and longest recent run?"
                    ),
                    H("About 30 km a week, longest run 14 km."),
                    A(
                        "That's a solid base with 25 weeks to go. Plan: four runs a week. An easy run on Tuesday, intervals on Wednesday (for example 6 x 800 m at 4:50 per km), an easy run on Friday and a long run on Sunday that grows by 1-2 km most weeks up to 32 km in early September, with a lighter week every fourth week. Taper for the final three weeks.",
                        "plan",
                    ),
                    H("Intervals Wednesday, long run Sunday. Got it."),
                    q={
                        "goal": (
                            "What was my target finishing time for the marathon?",
                            "How fast did I say I wanted to finish the race in Germany?",
                            "When is the Berlin race?",
                        ),
                        "plan": (
                            "What did the weekly running schedule you gave me look like?",
                            "On which day was I supposed to do my speed work?",
                        ),
                    },
                ),
                ep(
                    "tom_budget",
                    "finance",
                    H(
                        "Can you help me with a budget? Take-home pay is £3,200 a month. Rent is £1,450 and bills are about £300.",
                        "budget",
                    ),
                    A(
                        "Using 50/30/20 as a starting point: needs £1,600, wants £960, savings £640. Your rent and bills already come to £1,750, so needs run over; I'd aim for needs £1,750, wants £810 and savings £640, and look for a cheaper energy tariff to claw back some slack.",
                        "budget_plan",
                    ),
                    H("£640 a month into savings sounds doable."),
                    A("It is, especially if you automate it on payday so it never sits in your current account."),
                    q={
                        "budget": (
                            "How much did I say my rent was?",
                            "What's my salary after tax, according to what I told you {when}?",
                        ),
                        "budget_plan": (
                            "How much should I put into savings each month based on your split?",
                            "What was the 50/30/20 breakdown you did for me?",
                        ),
                    },
                ),
            ),
        ),
        SessionPlan(
            "2025-04-19",
            (
                ep(
                    "tom_knee",
                    "fitness",
                    H("After last Sunday's 18 km my right knee hurt on the outside, especially going downstairs."),
                    A(
                        "Pain on the outside of the knee that flares on stairs and long runs is classic iliotibial band syndrome. Cut back the long run for a week or two, add hip strengthening such as side planks, clamshells and single-leg squats, foam-roll the outer thigh, and see a physio if it persists.",
                        "knee",
                    ),
                    H("I've booked a physio: Dr. Sarah Mensah, Thursday 24 April at 5:30pm.", "physio"),
                    A("Good move. Note down when it hurts and how far into your runs, so she can pinpoint it."),
                    q={
                        "knee": (
                            "What did you think was wrong with my knee?",
                            "What was that overuse problem on the outer side of my leg called?",
                        ),
                        "physio": (
                            "What's the name of my physiotherapist?",
                            "When is my physio appointment?",
                            "Who did I book to look at my leg, and when?",
                        ),
                    },
                ),
                ep(
                    "tom_strength",
                    "fitness",
                    H("Should I be lifting weights too? I can squat 80 kg for 5 reps.", "squat"),
                    A(
                        "Yes, strength work reduces injury risk. Twice a week, on easy-run days: squats 3x5, Romanian deadlifts 3x8, walking lunges 3x10 per leg, calf raises 3x15 and a plank. Keep the squat around 80 kg rather than chasing numbers during marathon training.",
                        "strength",
                    ),
                    H("Makes sense."),
                    q={
                        "squat": (
                            "How much did I say I could squat?",
                            "What weight can I manage on leg day for a set of five?",
                        ),
                        "strength": (
                            "What gym routine did you give me to go with the running?",
                            "Which exercises were in the weights session you suggested?",
                        ),
                    },
                ),
                ep(
                    "tom_bakesale",
                    "cooking",
                    H(
                        "My daughter Ada's school has a bake sale on Friday 2 May. The school is nut-free. She's 7 and wants to help.",
                        "bakesale",
                    ),
                    A(
                        "Banana bread is perfect for little helpers and naturally nut-free: mash 3 very ripe bananas, mix in 75 g melted butter, 150 g sugar, 1 egg and 1 tsp vanilla, then fold in 190 g plain flour with 1 tsp bicarbonate of soda and a pinch of salt. Bake in a lined loaf tin at 175°C for 55-60 minutes. Ada can do the mashing and mixing.",
                        "banana",
                    ),
                    H("Can we do muffins instead so they're easier to sell?"),
                    A(
                        "Yes, the same batter makes 12 muffins; bake them for 20-22 minutes. Sprinkle a little demerara sugar on top for crunch."
                    ),
                    q={
                        "bakesale": (
                            "When is Ada's bake sale?",
                            "What's the date of my kid's school fundraiser?",
                        ),
                        "banana": (
                            "Can you give me the banana one again?",
                            "What was the loaf my daughter could help me make?",
                        ),
                    },
                ),
            ),
        ),
        SessionPlan(
            "2025-05-03",
            (
                ep(
                    "tom_deposit",
                    "finance",
                    H(
                        "I'm saving for a house deposit. The target is £30,000 by December 2027 and I've got £11,000 so far.",
                        "deposit",
                    ),
                    A(
                        "You need about £19,000 in 32 months, roughly £595 a month, which fits your £640 savings budget. Consider a Lifetime ISA: you can pay in up to £4,000 a year and the government adds 25%, so £4,000 becomes £5,000. It has to be used for a first home costing up to £450,000.",
                        "lisa",
                    ),
                    H("I'll open a LISA this week."),
                    q={
                        "deposit": (
                            "What's my house deposit target?",
                            "How much have I put aside towards buying a home?",
                        ),
                        "lisa": (
                            "What was the account with the government bonus you told me about?",
                            "How much top-up does the Lifetime ISA give?",
                        ),
                    },
                ),
                ep(
                    "tom_mealprep",
                    "cooking",
                    H(
                        "I want to meal-prep lunches for the week. I'm aiming for about 2,600 calories a day with lots of protein."
                    ),
                    A(
                        "Batch plan for five lunches: 1 kg chicken thighs marinated in yoghurt, garlic and paprika, roasted at 200°C for 30 minutes; 400 g basmati rice (dry weight); two heads of broccoli, roasted; and a tahini-lemon sauce. Each box comes to about 750 kcal and 50 g protein.",
                        "mealprep",
                    ),
                    H("Chicken thighs rather than breast?"),
                    A(
                        "Thighs stay juicier after reheating and are cheaper; breast is leaner if you want to save about 80 kcal per portion."
                    ),
                    q={
                        "mealprep": (
                            "What was the meal-prep plan for my lunches?",
                            "What did you suggest I cook in bulk to take to work?",
                        )
                    },
                ),
                ep(
                    "tom_fuel",
                    "fitness",
                    H("How should I fuel during the long runs?"),
                    A(
                        "For runs over 90 minutes, take 30-60 g of carbohydrate per hour: a gel every 40 minutes with a few sips of water, starting around 40 minutes in. Practise with the brand that's handed out on the Berlin course so race day holds no surprises.",
                        "fuel",
                    ),
                    H("Every 40 minutes, ok."),
                    q={
                        "fuel": (
                            "How often did you say to take a gel on long runs?",
                            "What was your advice about eating while I'm out on my longest training sessions?",
                        )
                    },
                ),
            ),
        ),
    ),
)


# ---------------------------------------------------------------------------------------------
# Priya Raman: coeliac, an elderly cat with kidney disease, a trip to Japan, a Roth IRA.
# ---------------------------------------------------------------------------------------------

PRIYA = UserPlan(
    "priya.raman@example.com",
    "Priya Raman",
    (
        SessionPlan(
            "2025-06-01",
            (
                ep(
                    "priya_coeliac",
                    "dietary",
                    H(
                        "I was diagnosed with coeliac disease last month, so I have to be strictly gluten-free now. Even crumbs matter.",
                        "coeliac",
                    ),
                    A(
                        "I'm sorry, that's a big adjustment. Strictly gluten-free means no wheat, barley or rye, and watching cross-contamination: a separate toaster, separate butter, and checking labels for 'may contain'. Oats are only safe if they're certified gluten-free."
                    ),
                    H("My partner Arjun still eats normal bread, so we'll need separate stuff."),
                    A(
                        "Exactly: a second toaster or toaster bags, a labelled butter tub and a separate breadboard. Many couples keep a gluten-free shelf at the top of the cupboard so crumbs can't fall onto it."
                    ),
                    q={
                        "coeliac": (
                            "What condition did I say I was diagnosed with?",
                            "What did I say my dietary restrictions were {when}?",
                            "Remind me why I have to avoid wheat?",
                        )
                    },
                ),
                ep(
                    "priya_brownies",
                    "cooking",
                    H("I miss brownies so much. A gluten-free recipe that doesn't taste gluten-free?"),
                    A(
                        "Fudgy gluten-free brownies: melt 200 g dark chocolate with 150 g butter; whisk 3 eggs with 250 g caster sugar until pale and thick, about 4 minutes; fold in the chocolate, then 60 g rice flour, 40 g cocoa and a pinch of salt. Bake in a 20 cm tin at 180°C for 22-25 minutes. Brownies rely on eggs rather than gluten, so nobody can tell.",
                        "brownies",
                    ),
                    H("Ooh, and Arjun's birthday is on 21 June, maybe I'll make these.", "arjun"),
                    A(
                        "They'd make a lovely birthday tray bake: top them with raspberries and a dusting of icing sugar."
                    ),
                    q={
                        "brownies": (
                            "Can you give me the chocolate one again?",
                            "What was the gluten-free brownie recipe?",
                            "Which flour went into that fudgy cocoa bake?",
                        ),
                        "arjun": (
                            "When is Arjun's birthday?",
                            "What date does my partner celebrate turning a year older?",
                        ),
                    },
                ),
                ep(
                    "priya_mochi",
                    "pets",
                    H("My cat Mochi is 14 and the vet says she has early kidney disease.", "mochi"),
                    A(
                        "That's common in older cats and can be managed well. A prescription renal diet, lower in phosphorus and protein, is the main thing, plus fresh water everywhere; a fountain encourages drinking. Regular bloodwork tracks creatinine and SDMA."
                    ),
                    H("Dr. Lindqvist prescribed Royal Canin Renal. Mochi sniffs it and walks away.", "renal"),
                    A(
                        "Transition slowly: mix 25% of the renal food into her old food for a few days, then 50%, 75% and finally 100% over about two weeks. Warm wet food slightly to release the aroma, and try the pouches if she refuses the loaf.",
                        "picky",
                    ),
                    H("I'll try warming it."),
                    q={
                        "mochi": (
                            "How old is my cat and what's wrong with her?",
                            "What did the vet find out about my elderly kitty's health?",
                        ),
                        "renal": (
                            "Which prescription food is Mochi on?",
                            "Who's the vet treating my cat?",
                        ),
                        "picky": (
                            "How did you suggest switching Mochi onto the new food?",
                            "What was the plan to get her to accept the special diet gradually?",
                        ),
                    },
                ),
            ),
        ),
        SessionPlan(
            "2025-06-15",
            (
                ep(
                    "priya_flight",
                    "travel",
                    H(
                        "The Japan trip is on! We fly London to Tokyo Haneda on ANA NH212 on 8 October and come home on the 20th.",
                        "jp_flight",
                    ),
                    A(
                        "Exciting! Haneda is much closer to central Tokyo than Narita. Since you're coeliac, request a gluten-free meal (GFML) from ANA at least 24 hours before departure."
                    ),
                    H("Done, GFML requested."),
                    q={
                        "jp_flight": (
                            "Which day do we fly out to Japan?",
                            "What's our flight number to Tokyo?",
                            "When do we leave for the Asia holiday?",
                        )
                    },
                ),
                ep(
                    "priya_ryokan",
                    "travel",
                    H("We want one really special stay in Kyoto."),
                    A(
                        "For a classic ryokan: Hiiragiya, a 200-year-old inn near Nishiki Market; Tawaraya, famously exclusive; or Gion Hatanaka, more affordable and right in Gion. Ask in advance whether they can make the kaiseki dinner gluten-free, because soy sauce contains wheat.",
                        "soy",
                    ),
                    H(
                        "We booked Hiiragiya for the nights of 10 to 13 October, and they said they can use tamari instead of soy sauce.",
                        "ryokan",
                    ),
                    A(
                        "Wonderful, tamari is usually wheat-free. Bring a Japanese gluten-free explanation card to show at other restaurants."
                    ),
                    q={
                        "ryokan": (
                            "What's the name of the ryokan we booked in Kyoto?",
                            "Where are we staying in the old imperial capital?",
                        ),
                        "soy": (
                            "Why did you say I need to be careful with soy sauce?",
                            "Which hidden source of gluten in Japanese cooking did you warn me about?",
                        ),
                    },
                ),
                ep(
                    "priya_sitter",
                    "pets",
                    H(
                        "Who'll look after Mochi while we're away? Our neighbour Farah offered to pop in twice a day for £15 a visit.",
                        "sitter",
                    ),
                    A(
                        "That's ideal for a cat with kidney disease; cats are happier at home. Leave Farah written notes on Mochi's food portions, her water fountain and Dr. Lindqvist's number, plus enough food for a few extra days."
                    ),
                    q={
                        "sitter": (
                            "Who is going to feed Mochi while we're in Japan?",
                            "How much is the person next door charging to look after the cat?",
                        )
                    },
                ),
                ep(
                    "priya_jrpass",
                    "travel",
                    H("Is the JR Pass still worth it?"),
                    A(
                        "Since the 2023 price rise a 7-day JR Pass costs ¥50,000, so it only pays off if you do long trips such as Tokyo, Kyoto, Hiroshima and back within a week. For a Tokyo-Kyoto return alone, individual shinkansen tickets at about ¥28,000 are cheaper.",
                        "jrpass",
                    ),
                    H("We'll just buy individual tickets then."),
                    q={
                        "jrpass": (
                            "Did you think the JR Pass was worth buying?",
                            "Should we get the unlimited rail ticket or pay per journey?",
                        )
                    },
                ),
            ),
        ),
        SessionPlan(
            "2025-07-02",
            (
                ep(
                    "priya_ira",
                    "finance",
                    H("I want to start contributing to a Roth IRA. I'm 29 and earn about $92,000.", "ira"),
                    A(
                        "At $92,000 you're well under the Roth IRA income limit, so you can contribute the full $7,000 for 2025, about $583 a month. A low-cost target-date fund or a total-market index fund is a simple default. Contributions, not earnings, can be withdrawn at any time without penalty.",
                        "ira_plan",
                    ),
                    H("I'll set up $583 a month."),
                    q={
                        "ira": (
                            "How much did I tell you I earn?",
                            "What was my salary again?",
                        ),
                        "ira_plan": (
                            "How much should I put into my Roth each month?",
                            "What monthly amount did you suggest for my retirement savings?",
                        ),
                    },
                ),
                ep(
                    "priya_salmon",
                    "cooking",
                    H("Quick weeknight dinner idea, gluten-free, with salmon?"),
                    A(
                        "Miso-glazed salmon: mix 2 tbsp white miso (check it's made from rice, not barley), 1 tbsp tamari, 1 tbsp honey and 1 tsp grated ginger. Brush it over 2 salmon fillets and grill for 8-10 minutes until caramelised. Serve with rice and steamed pak choi.",
                        "salmon",
                    ),
                    H("Arjun will want double portions."),
                    A("Then double everything and use four fillets; the glaze keeps for a week in the fridge."),
                    q={
                        "salmon": (
                            "Can you give me the salmon one again?",
                            "What was the fish dinner with the sweet sticky glaze?",
                        )
                    },
                ),
                ep(
                    "priya_bloodwork",
                    "pets",
                    H(
                        "Good news: Mochi's bloodwork came back and her creatinine dropped from 2.4 to 2.1 since she started the renal food.",
                        "bloodwork",
                    ),
                    A(
                        "That's a great result; it means the diet is helping her kidneys. Keep the water fountain going and ask Dr. Lindqvist when the next recheck should be, usually every three to six months."
                    ),
                    q={
                        "bloodwork": (
                            "What were Mochi's latest creatinine numbers?",
                            "Did the cat's test results improve?",
                        )
                    },
                ),
            ),
        ),
    ),
)


# ---------------------------------------------------------------------------------------------
# Lukas Weber: a sourdough starter, a rescue greyhound, bouldering, Iceland, freelance taxes.
# ---------------------------------------------------------------------------------------------

LUKAS = UserPlan(
    "lukas.weber@example.com",
    "Lukas Weber",
    (
        SessionPlan(
            "2025-01-12",
            (
                ep(
                    "lukas_starter",
                    "cooking",
                    H(
                        "My sourdough starter is called Gerald and he's very sluggish. I feed him once a day with rye flour.",
                        "starter",
                    ),
                    A(
                        "A sluggish starter usually wants more frequent feeds and more warmth. Try feeding twice a day at 1:5:5 (1 part starter, 5 parts flour, 5 parts water by weight) with half rye and half strong white flour, and keep the jar around 25°C; the oven with only the light on works well. He should double within 6 hours after a week or so.",
                        "feeding",
                    ),
                    H("1:5:5 twice a day. Poor Gerald."),
                    q={
                        "starter": (
                            "What did I name my sourdough starter?",
                            "What's my bread culture called?",
                        ),
                        "feeding": (
                            "What feeding ratio did you suggest for the starter?",
                            "How often and with what proportions should I be topping up the jar of wild yeast?",
                        ),
                    },
                ),
                ep(
                    "lukas_loaf",
                    "cooking",
                    H("Once Gerald is lively, what's a good first loaf?"),
                    A(
                        "A 75% hydration country loaf: 500 g bread flour, 375 g water, 100 g active starter and 10 g salt. Mix flour and water and rest an hour, add starter and salt, then do four sets of stretch-and-folds 30 minutes apart. Bulk ferment until it has grown about 50%, shape, proof overnight in the fridge, and bake in a preheated Dutch oven at 250°C, 20 minutes lid on and 20 lid off.",
                        "loaf",
                    ),
                    H("Dutch oven, I have a Le Creuset. Perfect."),
                    q={
                        "loaf": (
                            "What was the hydration of the loaf recipe?",
                            "Remind me how to make my first crusty sourdough bread.",
                            "How long does it go in the pot with the cover on?",
                        )
                    },
                ),
                ep(
                    "lukas_juno",
                    "pets",
                    H(
                        "We adopted a retired racing greyhound from a rescue last week. She's called Juno, she's 4, and she's terrified of the stairs up to our flat.",
                        "juno",
                    ),
                    A(
                        "Many ex-racers have never seen stairs. Teach her one step at a time: put her harness on, guide her front paws up the first step with a treat held just ahead, and let her stop whenever she wants. Short, happy sessions; she'll get there in a week or two.",
                        "stairs",
                    ),
                    H("She's also very calm, sleeps about 18 hours a day."),
                    A(
                        "That's typical greyhound: they're sprinters, not marathon dogs. Two 30-minute walks a day and a soft bed is their idea of heaven."
                    ),
                    q={
                        "juno": (
                            "What's the greyhound's name?",
                            "How old is the rescue dog we adopted?",
                        ),
                        "stairs": (
                            "How did you say to help Juno with the steps?",
                            "What was the approach for getting her to climb up to the flat?",
                        ),
                    },
                ),
                ep(
                    "lukas_boulder",
                    "fitness",
                    H(
                        "My goal this year is to climb V4 at the bouldering gym. I'm solid on V2 and flashing some V3s.",
                        "boulder",
                    ),
                    A(
                        "Very achievable. Climb three times a week, spend one session projecting V4s, work on footwork with silent-feet drills, and only add a hangboard after a year of consistent climbing."
                    ),
                    q={
                        "boulder": (
                            "What grade am I aiming for at the climbing gym?",
                            "What level did I want to reach on the wall by the end of the year?",
                        )
                    },
                ),
            ),
        ),
        SessionPlan(
            "2025-01-26",
            (
                ep(
                    "lukas_camper",
                    "travel",
                    H(
                        "Iceland ring road in August! We're renting a campervan from Happy Campers, picking it up on 4 August at Keflavík, for 10 days.",
                        "camper",
                    ),
                    A(
                        "Amazing! Ten days is a good pace for the ring road, about 1,330 km. Go anticlockwise to catch the south coast first, book campsites near Skaftafell and Mývatn, and check road.is and safetravel.is every morning."
                    ),
                    H("Anticlockwise it is."),
                    q={
                        "camper": (
                            "Which company are we renting the campervan from?",
                            "When do we pick up the van in Iceland?",
                            "Who is the motorhome hire with, and on what date does it start?",
                        )
                    },
                ),
                ep(
                    "lukas_packing",
                    "travel",
                    H("What should I pack for Iceland in summer?"),
                    A(
                        "Layers: a merino base layer, a fleece mid-layer and a proper waterproof shell jacket and trousers, since it can rain sideways even in August. Add a warm hat and gloves, waterproof hiking boots, a swimsuit for the hot pools, and a sleep mask because it barely gets dark.",
                        "packing",
                    ),
                    H("A sleep mask, I didn't think of that."),
                    q={
                        "packing": (
                            "What did you tell me to pack for Iceland?",
                            "Which clothes and gear should go in the suitcase for the trip up north?",
                        )
                    },
                ),
                ep(
                    "lukas_tax",
                    "finance",
                    H(
                        "I've been freelance since October. My accountant Mrs. Brandt says I have to make quarterly tax prepayments, and the first one is due on 10 March.",
                        "tax",
                    ),
                    A(
                        "Yes, the Finanzamt sets quarterly prepayments (Vorauszahlungen) due on 10 March, 10 June, 10 September and 10 December. A simple habit: move 30% of every invoice into a separate tax account the day it's paid, so the money is there when a prepayment is due.",
                        "tax_tip",
                    ),
                    H("30% of each invoice into a separate account. Done."),
                    q={
                        "tax": (
                            "When is my first tax prepayment due?",
                            "What's my accountant's name?",
                        ),
                        "tax_tip": (
                            "What percentage of invoices did you say to set aside?",
                            "How much of each client payment should go into a pot for the government?",
                        ),
                    },
                ),
                ep(
                    "lukas_dental",
                    "pets",
                    H(
                        "Juno's dental cleaning is booked for 20 February at Riverside Vet Clinic with Dr. Ahmed. Apparently greyhounds have terrible teeth.",
                        "dental",
                    ),
                    A(
                        "It's true, greyhounds are prone to dental disease. She'll be under anaesthetic, so no food from the evening before. Afterwards, daily brushing with dog toothpaste helps keep it from coming back."
                    ),
                    q={
                        "dental": (
                            "When is Juno's teeth cleaning?",
                            "Which clinic is doing the dog's dental work?",
                        )
                    },
                ),
            ),
        ),
        SessionPlan(
            "2025-02-09",
            (
                ep(
                    "lukas_pulling",
                    "pets",
                    H("Juno pulls like a train whenever she sees a cat."),
                    A(
                        "Sighthound instinct! Try a front-clip harness so pulling turns her sideways, practise 'look at me' with high-value treats at a distance from cats, and always keep her on a lead: greyhounds can hit 60 km/h and won't hear you.",
                        "harness",
                    ),
                    H("Front-clip harness ordered."),
                    q={
                        "harness": (
                            "What did you recommend for Juno's pulling?",
                            "What gear helps when the dog lunges at cats on our walks?",
                        )
                    },
                ),
                ep(
                    "lukas_spaetzle",
                    "cooking",
                    H(
                        "My girlfriend Mia's parents are coming over on Saturday 15 February. They're from Swabia and I want to make Käsespätzle.",
                        "mia",
                    ),
                    A(
                        "Käsespätzle for six: whisk 500 g flour, 5 eggs, 1 tsp salt and about 150 ml sparkling water into a thick, elastic batter; press it through a spätzle press into simmering salted water and lift the noodles out when they float. Layer with 300 g grated Emmental and Bergkäse in a buttered dish, top with onions fried slowly in butter until deep brown, and bake for 10 minutes at 200°C.",
                        "spaetzle",
                    ),
                    H("Sparkling water, interesting."),
                    A("The bubbles make the spätzle lighter. Serve with a green salad to cut through the cheese."),
                    q={
                        "mia": (
                            "When are Mia's parents coming for dinner?",
                            "Who's visiting on the 15th?",
                        ),
                        "spaetzle": (
                            "Can you give me the cheese noodle one again?",
                            "What was the recipe for the Swabian dish?",
                        ),
                    },
                ),
                ep(
                    "lukas_finger",
                    "fitness",
                    H("I felt a pop in my ring finger on a crimpy V3 yesterday. It's swollen now.", "finger"),
                    A(
                        "A pop plus swelling on a crimp often means an A2 pulley strain or tear. Stop climbing, ice it, and see a physio or hand specialist. Mild strains usually need two to three weeks off followed by a gradual return with taping; a full tear takes longer.",
                        "pulley",
                    ),
                    H("Argh, just when I was getting close to V4."),
                    A("It's frustrating, but resting it properly now is the fastest way back to projecting."),
                    q={
                        "finger": ("Which finger did I hurt climbing?",),
                        "pulley": (
                            "What injury did you think the pop in my finger was?",
                            "How long did you say I'd need off the wall for a mild strain?",
                        ),
                    },
                ),
            ),
        ),
        SessionPlan(
            "2025-03-02",
            (
                ep(
                    "lukas_froad",
                    "travel",
                    H("Can we drive to Landmannalaugar in the campervan?"),
                    A(
                        "Not in a regular campervan: Landmannalaugar is reached by F-roads, which by law need a 4x4, and the rental insurance won't cover them. Book a highland bus from Reykjavík or Hella instead; it takes about four hours and drops you at the hut.",
                        "froad",
                    ),
                    H("Highland bus it is."),
                    q={
                        "froad": (
                            "Can we take the van to Landmannalaugar?",
                            "How do we get to the colourful mountains in the interior?",
                        )
                    },
                ),
                ep(
                    "lukas_anna",
                    "pets",
                    H("Juno will stay with my sister Anna in Hamburg while we're in Iceland.", "anna"),
                    A(
                        "That's much less stressful than kennels. Send Juno's food, bed and harness along with the vet's number, and do a trial overnight stay first."
                    ),
                    q={
                        "anna": (
                            "Who is looking after Juno during our trip?",
                            "Where is the dog going while we're away?",
                        )
                    },
                ),
                ep(
                    "lukas_springs",
                    "travel",
                    H("Which hot springs are worth it?"),
                    A(
                        "Skip the Blue Lagoon crowds and try the Mývatn Nature Baths in the north, the Secret Lagoon at Flúðir, and the free Reykjadalur hot river near Hveragerði: a 3 km hike to a steaming stream you can bathe in.",
                        "springs",
                    ),
                    H("A hot river, that sounds unreal."),
                    q={
                        "springs": (
                            "Which hot springs did you recommend?",
                            "Where can we soak in warm water that isn't the famous touristy one?",
                        )
                    },
                ),
            ),
        ),
    ),
)


# ---------------------------------------------------------------------------------------------
# Sofia Alvarez: lactose intolerant, son Mateo's peanut allergy, credit card debt, Mexico City.
# ---------------------------------------------------------------------------------------------

SOFIA = UserPlan(
    "sofia.alvarez@example.com",
    "Sofia Alvarez",
    (
        SessionPlan(
            "2025-09-07",
            (
                ep(
                    "sofia_lactose",
                    "dietary",
                    H(
                        "I'm lactose intolerant. I take lactase pills when eating out, and aged hard cheeses like parmesan don't bother me.",
                        "lactose",
                    ),
                    A(
                        "Thanks, I'll default to dairy-free or lactose-free options. Hard aged cheeses such as parmesan, aged cheddar and manchego are naturally very low in lactose, so they're usually fine in moderation."
                    ),
                    q={
                        "lactose": (
                            "What did I tell you about milk products and my stomach?",
                            "Which cheeses did I say I can still eat?",
                            "What did I say my dietary restrictions were {when}?",
                        )
                    },
                ),
                ep(
                    "sofia_mateo",
                    "dietary",
                    H("Also, my son Mateo is 6 and has a severe peanut allergy. He carries an EpiPen.", "mateo"),
                    A(
                        "Understood. I'll make sure anything for the family is peanut-free and flag hidden sources like satay, some pestos, certain chocolates and many sauces. Make sure his school has an up-to-date allergy action plan and a second EpiPen."
                    ),
                    H("His school is good about it, they're nut-free."),
                    q={
                        "mateo": (
                            "What is my son allergic to?",
                            "How old is Mateo?",
                            "Does my boy carry an adrenaline injector?",
                        )
                    },
                ),
                ep(
                    "sofia_mac",
                    "cooking",
                    H(
                        "Mateo loves mac and cheese but it wrecks my stomach. Can you make one that works for both of us?"
                    ),
                    A(
                        "Dairy-free butternut mac and cheese: roast 500 g butternut squash cubes, then blend with 250 ml oat milk, 4 tbsp nutritional yeast, 1 tsp Dijon mustard, half a tsp garlic powder, smoked paprika and salt until silky. Toss with 350 g cooked macaroni, top with breadcrumbs and bake at 200°C for 15 minutes. Peanut-free and lactose-free.",
                        "mac",
                    ),
                    H("Nutritional yeast? Never used it."),
                    A(
                        "It's deactivated yeast flakes with a cheesy, savoury flavour; look near the health foods. A little goes a long way."
                    ),
                    q={
                        "mac": (
                            "Can you give me the squash pasta one again?",
                            "What was the dairy-free mac and cheese recipe?",
                            "How did you make that orange sauce for the noodles without milk?",
                        )
                    },
                ),
                ep(
                    "sofia_yoga",
                    "fitness",
                    H(
                        "I started yoga for my lower back. My teacher is Carmen and classes are on Tuesdays at 7pm.",
                        "yoga",
                    ),
                    A(
                        "Yoga is great for lower back pain. Between classes, try cat-cow, child's pose, sphinx and knees-to-chest for 10 minutes a day, and avoid deep forward folds with straight legs while it's sore. Tell Carmen about your back so she can suggest modifications.",
                        "backposes",
                    ),
                    H("I'll do the ten minutes every morning."),
                    q={
                        "yoga": (
                            "When is my yoga class?",
                            "Who teaches the stretching class I go to?",
                        ),
                        "backposes": (
                            "What poses did you suggest for my back?",
                            "Which exercises should I do at home when my spine aches?",
                        ),
                    },
                ),
            ),
        ),
        SessionPlan(
            "2025-09-21",
            (
                ep(
                    "sofia_debt",
                    "finance",
                    H(
                        "I need to get on top of my credit cards. Visa: £4,200 at 24.9% APR. Store card: £1,100 at 29.9%. I can put about £400 a month towards them.",
                        "cards",
                    ),
                    A(
                        "I'd use the avalanche method: pay the minimum on both, then put every spare pound on the highest-interest debt first, the store card at 29.9%. At £400 a month it's cleared in about three months; then roll the whole £400 onto the Visa. You'll be debt-free in roughly 16 months and pay less interest than with the snowball method.",
                        "avalanche",
                    ),
                    H("Avalanche it is."),
                    q={
                        "cards": (
                            "How much do I owe on my Visa?",
                            "What was the interest rate on my store card?",
                        ),
                        "avalanche": (
                            "Which debt payoff method did you suggest?",
                            "Which card should I pay off first?",
                            "What strategy did you give me for getting rid of what I owe?",
                        ),
                    },
                ),
                ep(
                    "sofia_transfer",
                    "finance",
                    H("What about a balance transfer card?"),
                    A(
                        "It can help: a 0% balance transfer card for 18 months with a 3% fee would cost £126 to move the £4,200 Visa balance, versus roughly £1,000 in interest. Just make sure you clear it before the 0% period ends, and don't spend on it.",
                        "transfer",
                    ),
                    H("I got approved for one! 0% for 18 months."),
                    A(
                        "Great news. Set up a direct debit for at least £233 a month so it's gone before the offer ends."
                    ),
                    q={
                        "transfer": (
                            "What was the fee on the balance transfer?",
                            "How much would it cost me to move what's on the Visa to an interest-free card?",
                        )
                    },
                ),
                ep(
                    "sofia_party",
                    "people",
                    H(
                        "Mateo's birthday party is on Saturday 4 October at the trampoline park. Twelve kids are coming.",
                        "party",
                    ),
                    A(
                        "Fun! For a peanut-free party, bake the cake yourself or buy from a certified nut-free bakery, and say on the invite that it's a nut-free party. A simple vanilla sheet cake decorated with his favourite dinosaurs would be a hit.",
                        "cake",
                    ),
                    H("He'd love dinosaurs."),
                    q={
                        "party": (
                            "When is Mateo's birthday party?",
                            "Where is my son's celebration being held?",
                        ),
                        "cake": (
                            "What did you suggest for the cake at Mateo's party?",
                            "What kind of dessert did you think would be safe and fun for the kids?",
                        ),
                    },
                ),
            ),
        ),
        SessionPlan(
            "2025-10-12",
            (
                ep(
                    "sofia_mexico",
                    "travel",
                    H(
                        "We're going to Mexico City in December to see my grandmother Rosa. She turns 90 on 14 December!",
                        "rosa",
                    ),
                    A(
                        "What a milestone! December is the dry season, so the weather should be lovely. Plan at least a day in Coyoacán; the Frida Kahlo museum sells out, so book ahead."
                    ),
                    H("Flights booked: Aeroméxico AM6 from Heathrow on 10 December, back on the 28th.", "mx_flight"),
                    A("Noted. That gives you plenty of time around Rosa's birthday."),
                    q={
                        "rosa": (
                            "When is my grandmother's 90th?",
                            "Whose big milestone are we flying out for?",
                        ),
                        "mx_flight": (
                            "What date do we fly to Mexico?",
                            "What's our Aeroméxico flight number?",
                        ),
                    },
                ),
                ep(
                    "sofia_mole",
                    "dietary",
                    H("Mexican food with Mateo's allergy scares me a bit."),
                    A(
                        "Be careful with mole: many moles, including mole poblano, are thickened with peanuts, as are some salsas macha and sweets like mazapán, a peanut candy. Carry a Spanish allergy card saying 'Mi hijo tiene alergia severa al cacahuate'; in Mexico peanuts are 'cacahuate', not 'maní'.",
                        "mole",
                    ),
                    H("I'll print the card."),
                    q={
                        "mole": (
                            "Which Mexican dishes did you say might contain peanuts?",
                            "What's the Spanish word for peanut in Mexico?",
                            "What should I watch out for in the local food because of my son?",
                        )
                    },
                ),
                ep(
                    "sofia_soup",
                    "cooking",
                    H("Rosa's favourite is sopa de tortilla. Can you give me a recipe so I can cook it for her?"),
                    A(
                        "Sopa de tortilla for six: blend 4 tomatoes, half an onion, 2 garlic cloves and 2 dried pasilla chillies (toasted and soaked); fry the purée in a little oil for 5 minutes, then add 1.5 litres of chicken stock and a sprig of epazote and simmer for 20 minutes. Serve over crispy fried tortilla strips with avocado, crumbled queso fresco (skip it for you), crema and lime.",
                        "soup",
                    ),
                    H("She'll be so surprised."),
                    q={
                        "soup": (
                            "Can you give me the tortilla soup one again?",
                            "What was the recipe for Abuela's favourite?",
                        )
                    },
                ),
            ),
        ),
    ),
)


# ---------------------------------------------------------------------------------------------
# James Whitfield: newly retired, low-salt diet, an African grey parrot, a Highlands road trip.
# ---------------------------------------------------------------------------------------------

JAMES = UserPlan(
    "james.whitfield@example.com",
    "James Whitfield",
    (
        SessionPlan(
            "2025-05-10",
            (
                ep(
                    "james_salt",
                    "dietary",
                    H(
                        "My GP says my blood pressure is too high, 150 over 95, and I have to cut my salt to under 6 grams a day.",
                        "salt",
                    ),
                    A(
                        "That's a very sensible first step. Most salt comes from bread, cheese, processed meats, stock cubes and ready meals rather than the salt shaker. Cooking from scratch and using herbs, citrus, garlic and spices for flavour makes a big difference; check labels for anything over 1.5 g salt per 100 g."
                    ),
                    H("Margaret has taken over the shopping to keep me honest."),
                    A("Sounds like a good team. Low-salt stock cubes and unsalted butter are easy swaps for her list."),
                    q={
                        "salt": (
                            "What did my doctor tell me to cut down on?",
                            "What was my blood pressure reading?",
                            "How much sodium am I allowed in a day, going by what the surgery said?",
                        )
                    },
                ),
                ep(
                    "james_brisket",
                    "cooking",
                    H("But I love my barbecue. Can I still do a brisket?"),
                    A(
                        "Yes, with a low-salt rub: 2 tbsp smoked paprika, 1 tbsp each of black pepper, garlic powder and onion powder, 1 tsp mustard powder, 1 tsp brown sugar and a pinch of cayenne, and no salt. Smoke a 2.5 kg brisket at 110°C for about 10-12 hours until it reaches 95°C inside and probes like butter, then rest it wrapped for an hour.",
                        "brisket",
                    ),
                    H("No salt at all in the rub?"),
                    A(
                        "None: the smoke and the bark carry the flavour. Serve it with a sharp, vinegary slaw and nobody will miss it."
                    ),
                    q={
                        "brisket": (
                            "Can you give me the brisket one again?",
                            "What was the salt-free rub for the smoker?",
                            "At what temperature and for how long do I cook the beef on the barbecue?",
                        )
                    },
                ),
                ep(
                    "james_captain",
                    "pets",
                    H("Our African grey, Captain, is 22 and he's started plucking his chest feathers.", "captain"),
                    A(
                        "Feather plucking in African greys can be medical (infection, low calcium, liver problems) or behavioural (boredom, stress, changes at home). The first step is an avian vet check with bloodwork. Meanwhile give him foraging toys, 10-12 hours of sleep in a quiet covered cage, and a shower or misting twice a week.",
                        "plucking",
                    ),
                    H("We did move his cage to the conservatory last month."),
                    A(
                        "That could well be it; greys are sensitive to change. Try moving him back, or cover part of the cage so he has a secure corner."
                    ),
                    q={
                        "captain": (
                            "How old is Captain?",
                            "What's the parrot called?",
                        ),
                        "plucking": (
                            "What did you suggest about Captain's feather plucking?",
                            "Why might the bird be pulling out its plumage?",
                        ),
                    },
                ),
            ),
        ),
        SessionPlan(
            "2025-05-24",
            (
                ep(
                    "james_highlands",
                    "travel",
                    H(
                        "Margaret and I are doing a Highlands road trip from 14 to 24 June, from Glasgow up the west coast."
                    ),
                    A(
                        "Lovely route. Classic stops: Glencoe, Fort William, the Glenfinnan Viaduct, then the Road to the Isles to Mallaig, the ferry to Skye, and back via Plockton and Loch Ness."
                    ),
                    H("We've booked three nights at The Old Manse B&B in Plockton, 19 to 22 June.", "bnb"),
                    A(
                        "Plockton is charming, it even has palm trees by the loch thanks to the Gulf Stream. Try the seafood at Plockton Shores, and ask the B&B about the seal-watching boat trips."
                    ),
                    q={
                        "bnb": (
                            "What was the name of the B&B in Plockton?",
                            "Which guesthouse did we book in Scotland?",
                        )
                    },
                ),
                ep(
                    "james_ferry",
                    "travel",
                    H(
                        "I've booked the CalMac ferry from Mallaig to Armadale on 18 June at 11:40, one car and two passengers.",
                        "ferry",
                    ),
                    A(
                        "Good, summer sailings fill up. Be at the terminal 30 minutes before departure; the crossing takes about 45 minutes."
                    ),
                    q={
                        "ferry": (
                            "What time is the ferry to Skye?",
                            "When does our boat over to the island leave?",
                        )
                    },
                ),
                ep(
                    "james_pension",
                    "finance",
                    H(
                        "I retired in March. My pension pot is about £420,000. How much can I safely take each year?",
                        "pot",
                    ),
                    A(
                        "A common rule of thumb is the 4% rule: withdraw 4% in the first year, £16,800, then increase it with inflation each year. With your state pension from 66 on top, that's a good base. Some people start at 3.5% for extra safety over a long retirement, and keep one to two years of spending in cash.",
                        "rule",
                    ),
                    H("£16,800 plus the state pension, that should be fine."),
                    q={
                        "pot": (
                            "How big did I say my pension pot was?",
                            "How much have I got saved up for my old age?",
                        ),
                        "rule": (
                            "What withdrawal rate did you suggest?",
                            "How much can I draw down each year?",
                        ),
                    },
                ),
                ep(
                    "james_oliver",
                    "people",
                    H("Our grandson Oliver turns 8 on 3 July and he's obsessed with dinosaurs.", "oliver"),
                    A(
                        "Fun age! Ideas: a fossil-dig kit where he chisels out replica bones, a trip with you to the Natural History Museum's dinosaur gallery, or a glow-in-the-dark T. rex skeleton to build together.",
                        "dino_gift",
                    ),
                    H("The fossil kit and the museum trip, both!"),
                    q={
                        "oliver": (
                            "When is Oliver's birthday?",
                            "How old is my grandson turning?",
                        ),
                        "dino_gift": (
                            "What present ideas did you have for Oliver?",
                            "What gifts did you suggest for the little lad who loves prehistoric reptiles?",
                        ),
                    },
                ),
            ),
        ),
        SessionPlan(
            "2025-06-07",
            (
                ep(
                    "james_isa",
                    "finance",
                    H("Should I put some of the cash into an ISA?"),
                    A(
                        "Yes: you can put up to £20,000 a year into ISAs, and everything inside grows and comes out tax-free. A cash ISA for the one-to-two-year spending buffer and a stocks and shares ISA for longer-term money is a common split.",
                        "isa",
                    ),
                    H("I'll open both next week."),
                    q={
                        "isa": (
                            "What's the annual ISA allowance?",
                            "How much can I shelter from the taxman every year?",
                        )
                    },
                ),
                ep(
                    "james_avian",
                    "pets",
                    H("Captain has an appointment with the avian vet, Dr. Kowalski, on Wednesday 11 June.", "avian"),
                    A(
                        "Good. Bring a list of his diet, the date you moved his cage and a photo of the plucked area, and ask about blood calcium and a Giardia test."
                    ),
                    q={
                        "avian": (
                            "When is Captain's vet appointment?",
                            "Who is the bird doctor we're seeing?",
                        )
                    },
                ),
                ep(
                    "james_steps",
                    "fitness",
                    H("The GP also wants me walking more. I'm doing about 4,000 steps a day at the moment."),
                    A(
                        "Build up by about 1,000 steps a week until you reach 8,000-10,000, and include two brisk 20-minute walks where you can talk but not sing. Regular brisk walking can lower systolic blood pressure by several points.",
                        "steps",
                    ),
                    H("Margaret will come with me."),
                    q={
                        "steps": (
                            "How many steps did you say I should build up to?",
                            "How much exercise on foot should I be aiming for each day?",
                        )
                    },
                ),
            ),
        ),
    ),
)


# ---------------------------------------------------------------------------------------------
# Aisha Bello: halal, a first powerlifting meet, two rabbits, Istanbul, an emergency fund.
# ---------------------------------------------------------------------------------------------

AISHA = UserPlan(
    "aisha.bello@example.com",
    "Aisha Bello",
    (
        SessionPlan(
            "2025-08-03",
            (
                ep(
                    "aisha_halal",
                    "dietary",
                    H(
                        "For any recipes, please remember I eat halal: no pork, only halal meat, and no alcohol in the cooking, not even wine in sauces.",
                        "halal",
                    ),
                    A(
                        "Of course: halal meat only, no pork or pork products like gelatine, and no wine, beer or spirits in any dish. I'll use stock, vinegar or a squeeze of lemon where recipes normally call for wine."
                    ),
                    q={
                        "halal": (
                            "What are my food rules again?",
                            "Can I use wine when I cook, given what I told you?",
                            "What did I say my dietary restrictions were {when}?",
                        )
                    },
                ),
                ep(
                    "aisha_meet",
                    "fitness",
                    H(
                        "I'm competing at my first powerlifting meet on 16 November in Manchester. Current bests: squat 110 kg, bench 62.5 kg, deadlift 140 kg.",
                        "meet",
                    ),
                    A(
                        "With about 15 weeks to go, run a 12-week block: four weeks of volume (sets of 5-8), four weeks of strength (sets of 3-5 at 80-87%), then three weeks of peaking with heavy singles, and a deload week before the meet. Practise the competition commands for the bench.",
                        "peaking",
                    ),
                    H("I keep forgetting to pause the bench."),
                    A(
                        "Film every bench set and pause each rep on your chest in training, so the pause at the meet feels normal."
                    ),
                    q={
                        "meet": (
                            "What's my deadlift PR?",
                            "When is the powerlifting competition?",
                            "How much can I bench press right now?",
                        ),
                        "peaking": (
                            "How did you structure my training block before the meet?",
                            "What were the phases of my programme leading up to competing?",
                        ),
                    },
                ),
                ep(
                    "aisha_rabbits",
                    "pets",
                    H("My rabbits are Clover and Pepper, and the vet says Pepper is overweight at 2.8 kg.", "rabbits"),
                    A(
                        "For an overweight rabbit: unlimited hay should make up about 85% of the diet, a handful of leafy greens such as romaine, coriander and kale twice a day, and pellets cut to one tablespoon a day. Cut out fruit and treats, and give more floor time to hop around.",
                        "rabbit_diet",
                    ),
                    H("No more banana treats then."),
                    q={
                        "rabbits": (
                            "What are my rabbits called?",
                            "How much does Pepper weigh?",
                        ),
                        "rabbit_diet": (
                            "What diet did you recommend for Pepper?",
                            "How do I slim down my chubby bunny?",
                        ),
                    },
                ),
                ep(
                    "aisha_jollof",
                    "cooking",
                    H("My mum's jollof is legendary but she never measures anything. Can you give me a proper recipe?"),
                    A(
                        "Nigerian jollof for six: blend 4 plum tomatoes, 2 red peppers, 1 scotch bonnet and 1 onion. Fry another sliced onion in oil, add 3 tbsp tomato paste and fry for 5 minutes, pour in the blend and cook it down for 20 minutes until thick. Add 600 ml halal chicken stock, curry powder, thyme, bay leaves and salt, then 500 g washed parboiled long-grain rice. Cover with foil and a lid and cook on low for 30 minutes; the smoky bottom layer is the prize.",
                        "jollof",
                    ),
                    H("The smoky bottom is the best part, agreed."),
                    q={
                        "jollof": (
                            "Can you give me the jollof one again?",
                            "How did you say to get that smoky party-rice flavour?",
                            "What was my mum's West African dish you wrote down properly for me?",
                        )
                    },
                ),
            ),
        ),
        SessionPlan(
            "2025-08-17",
            (
                ep(
                    "aisha_istanbul",
                    "travel",
                    H("I'm going to Istanbul with my friend Zainab from 20 to 27 September!", "ist"),
                    A(
                        "Wonderful! Split your stay between Sultanahmet for the historic sights and Karaköy or Beyoğlu for food and nightlife, and get an Istanbulkart for the trams, ferries and metro."
                    ),
                    H("We booked the Pera Palace for the first four nights.", "pera"),
                    A(
                        "A classic: Agatha Christie wrote there. It's in Beyoğlu, a short walk from İstiklal Avenue and the Galata Tower."
                    ),
                    q={
                        "ist": (
                            "Who am I travelling to Istanbul with?",
                            "What are our dates for Turkey?",
                        ),
                        "pera": (
                            "What's the name of our hotel in Istanbul?",
                            "Where are we staying for the first few nights in Turkey?",
                        ),
                    },
                ),
                ep(
                    "aisha_bosphorus",
                    "travel",
                    H("Is a Bosphorus cruise worth it?"),
                    A(
                        "Yes. Skip the pricey tours and take the public Şehir Hatları long Bosphorus tour from Eminönü: about six hours return, up to Anadolu Kavağı near the Black Sea, where you can climb to Yoros Castle for the view. It costs a fraction of a private cruise.",
                        "cruise",
                    ),
                    H("Public ferry it is, love a bargain."),
                    q={
                        "cruise": (
                            "Which boat trip did you recommend in Istanbul?",
                            "What's a cheap way to go up the strait on the water?",
                        )
                    },
                ),
                ep(
                    "aisha_fund",
                    "finance",
                    H("I want to build an emergency fund. My essential spending is about £2,100 a month.", "spend"),
                    A(
                        "Three months of essentials is £6,300; six months would be £12,600. Start with the £6,300 target in an easy-access high-yield savings account, some pay around 4.6%, and automate a fixed transfer on payday.",
                        "fund",
                    ),
                    H("£6,300 first, then we'll see."),
                    q={
                        "fund": (
                            "How big should my emergency fund be?",
                            "How much did you say to keep aside for a rainy day?",
                        ),
                        "spend": ("What did I say my essential monthly costs were?",),
                    },
                ),
                ep(
                    "aisha_halal_istanbul",
                    "dietary",
                    H("Will it be easy to eat halal in Istanbul?"),
                    A(
                        "Very easy: almost all meat in Turkey is halal, and pork is rare. Just check menus in international or hotel restaurants, and remember rakı and wine are common at meyhane taverns if you'd rather avoid places centred on alcohol."
                    ),
                    H("Good, one less thing to worry about."),
                ),
            ),
        ),
    ),
)


USERS: tuple[UserPlan, ...] = (MAYA, TOM, PRIYA, LUKAS, SOFIA, JAMES, AISHA)
