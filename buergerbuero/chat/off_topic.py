"""What the chatbot is not for, as examples of whole kinds of question.

A message closer in meaning to one of these than to any service of the catalog is not about
the city's services: the bot says so (``confident: false``) and offers a human. The
examples name kinds of question (weather, sport, recipes, homework, …) in the languages
the bot understands. Add a kind when citizens' messages show a new one; do not add a
citizen's message word for word, which would only teach the bot that one sentence.
"""

EXAMPLES = (
    # weather
    "Wettervorhersage für das Wochenende",
    "Regnet es nächste Woche?",
    "Wie warm wird es am Sonntag?",
    "weather forecast for tomorrow",
    "Will it be sunny this weekend?",
    "Hava durumu tahmini",
    "Прогноз погоди на вихідні",
    "توقعات الطقس لنهاية الأسبوع",
    # sport, games, entertainment
    "Bundesliga Ergebnisse und Tabelle",
    "Wann spielt die Nationalmannschaft?",
    "Who won the football game?",
    "Maç sonucu ne oldu?",
    "Kinoprogramm heute Abend",
    "Empfiehl mir eine gute Serie",
    "recommend a good movie",
    "Songtext von einem Lied",
    # creative writing, jokes, chit-chat
    "Schreib mir eine Geschichte",
    "Erzähl mir einen Witz",
    "Dichte ein Liebesgedicht",
    "write a poem about the sea",
    "tell me a funny joke",
    "Bana bir hikaye anlat",
    "Розкажи мені анекдот",
    "اكتب لي قصيدة",
    "Wie geht es dir heute?",
    "Was ist der Sinn des Lebens?",
    "Bist du ein Mensch oder eine Maschine?",
    # food, shopping, going out
    "Rezept für Lasagne",
    "Wo gibt es das beste Eis in der Stadt?",
    "good restaurants for dinner",
    "Welches Smartphone soll ich kaufen?",
    "Wo kann ich heute Abend tanzen gehen?",
    "cheap flights to London",
    # school work, knowledge, code
    "Hilf mir bei meinen Hausaufgaben",
    "Löse diese Gleichung: 3x + 5 = 20",
    "solve this math problem for me",
    "Übersetze diesen Text ins Englische",
    "Was ist die Hauptstadt von Australien?",
    "Wie alt ist der Papst?",
    "who invented the light bulb",
    "Schreib mir ein Python-Programm",
    "write a cover letter for my job application",
    # money markets, health advice, news
    "Wie steht der Aktienkurs heute?",
    "bitcoin price today",
    "Welche Tabletten helfen gegen Kopfschmerzen?",
    "Ich brauche einen Termin beim Hausarzt",
    "Was gibt es Neues in der Politik?",
    # history, sights, tourism
    "Wann wurde die Brücke gebaut und wer war der Architekt?",
    "Welche Sehenswürdigkeiten sollte man besuchen?",
    "history of the old town and its churches",
    "Şehirde gezilecek yerler nerede?",
    # travel and transport tickets
    "Wie komme ich mit dem Zug nach Berlin und was kostet das Ticket?",
    "Wann fährt der nächste Bus zum Flughafen?",
    "train tickets to Paris",
    "Як доїхати поїздом до Варшави?",
    "كيف أسافر بالقطار إلى برلين؟",
    # disputes between private parties, which courts and lawyers decide
    "Mein Vermieter will die Miete erhöhen, darf er das?",
    "Mein Arbeitgeber zahlt meinen Lohn nicht, kann ich ihn verklagen?",
    "Streit mit dem Nachbarn wegen Lärm, welcher Anwalt hilft?",
    "my landlord keeps my deposit, how do I sue him",
    "Handyvertrag kündigen",
    "Wie mache ich meine Steuererklärung beim Finanzamt?",
)
