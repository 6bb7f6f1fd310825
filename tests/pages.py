"""Pages written for the tests: original French text in the shape of scraped news pages."""

DUMP = """\
Le Petit Quotidien du Test
Accueil
Politique
Société
Se connecter
ActualitésSociétéLa commune de Testville ouvre une ressourcerie dans l'ancienne gare...
La commune de Testville ouvre une ressourcerie dans l'ancienne gare
Société
La commune de Testville ouvre une ressourcerie dans l'ancienne gare
Par Odile Lambert
Publié le 3 avril 2024 à 09h10
Mis à jour le 4 avril 2024 à 11h00
Partager
Facebook
La ressourcerie installée dans l'ancienne gare de Testville a accueilli ses premiers visiteurs samedi matin. Les habitants peuvent y déposer des meubles, des vêtements et des appareils électriques, qui seront réparés puis revendus à petit prix.
Léon Marchal
Un projet porté par les habitants
L'idée est née il y a trois ans dans un conseil de quartier, lorsque des habitants se sont plaints du nombre d'objets abandonnés près des conteneurs. La mairie a racheté le bâtiment, fermé depuis la suppression de la ligne, et confié sa gestion à une association d'insertion.
Six salariés en insertion y sont formés à la réparation et à la vente. Le 12 mars 2023, le conseil municipal avait voté une première subvention pour les travaux de mise aux normes du bâtiment.
Odile Lambert
Journaliste au service Société, je suis passionnée par les initiatives locales et l'économie circulaire depuis mes débuts dans le métier.
À lire aussi
Le marché de Testville change d'horaires
Une nouvelle piste cyclable entre la gare et le lycée...
Tags
#testville#ressourcerie#recyclage
Laisser un commentaire
Votre adresse e-mail ne sera pas publiée.
"""

HTML = """\
<!DOCTYPE html>
<html lang="fr"><head><meta charset="utf-8">
<title>Le festival de jazz de Testville affiche complet | Info Test</title>
<meta property="og:title" content="Le festival de jazz de Testville affiche complet">
<meta property="og:site_name" content="Info Test">
<meta property="og:url" content="https://info-test.example/culture/festival-jazz">
<meta property="article:published_time" content="2024-06-21T10:00:00+02:00">
<meta name="author" content="Paul Rivière">
</head><body>
<nav><a href="/">Accueil</a> <a href="/culture">Culture</a> <a href="/sport">Sport</a></nav>
<article>
<h1>Le festival de jazz de Testville affiche complet</h1>
<p>Pour sa dixième édition, le festival de jazz de Testville a vendu toutes ses places trois semaines avant l'ouverture, une première depuis sa création. Les organisateurs attribuent ce succès à une programmation plus variée et à des tarifs réduits pour les étudiants.</p>
<p>Les concerts se tiendront dans le parc du château et, pour la première fois, dans la cour de l'ancienne école, transformée en scène pour les jeunes formations de la région. Des navettes gratuites relieront la gare au parc chaque soir jusqu'à une heure du matin.</p>
<p>La mairie, qui finance un tiers du budget, promet un bilan détaillé à la rentrée, notamment sur les retombées pour les commerces du centre-ville.</p>
</article>
<aside><h3>Les plus lus</h3><a href="/x">Un nouveau parking en centre-ville</a></aside>
<footer>© 2024 Info Test — Tous droits réservés</footer>
</body></html>
"""

ENGLISH = """\
Town council approves the new library
The town council voted on Monday evening to build a new public library next to the railway station, after three years of debate about its cost and its location.
The building will include a children's floor, study rooms and a small auditorium for local associations, and it is expected to open in two years.
Residents who had campaigned for the project said they were relieved that the decision had finally been taken.
"""
